import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { normalizeEmail, type PublicUser } from '../../types/schemas.js';

export async function getUserByEmail({ db, email }: { db: Db; email: string }): Promise<PublicUser> {
  const user = await db
    .selectFrom('users')
    .select(['id', 'name', 'email'])
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
  if (!user) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No user with that e-mail' });
  return user;
}
