import type { Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';
import type { PublicUser } from '../../types/schemas';
import { dummyPasswordHash, verifyPassword } from '../hash';

export type VerifyUserCredentialsOptions = { db: Db; email: string; password: string };

/** The sign-in check: the user whose e-mail and password match, or UNAUTHORIZED. */
export async function verifyUserCredentials({ db, email, password }: VerifyUserCredentialsOptions): Promise<PublicUser> {
  const invalid = new AppError(AppErrorCode.UNAUTHORIZED, { message: 'Invalid e-mail or password' });
  if (typeof email !== 'string' || typeof password !== 'string' || password.length > 256) throw invalid;
  const user = await db
    .selectFrom('users')
    .select(['id', 'name', 'email', 'password_hash', 'disabled_at'])
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  // Hash even for an unknown e-mail, so the answer takes as long either way.
  const ok = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
  if (!user || !ok) throw invalid;
  if (user.disabled_at !== null) throw new AppError(AppErrorCode.UNAUTHORIZED, { message: 'This account is disabled' });
  return { id: user.id, name: user.name, email: user.email };
}
