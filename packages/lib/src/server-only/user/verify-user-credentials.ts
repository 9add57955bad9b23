import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { normalizeEmail, type PublicUser } from '../../types/schemas.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { dummyPasswordHash, hashPassword, passwordHashNeedsUpgrade, verifyPassword } from '../hash.js';

export type VerifyUserCredentialsOptions = {
  db: Db;
  email: string;
  password: string;
  clock: Clock;
  audit?: AuditContext;
};

/**
 * The sign-in check: the user whose e-mail and password match, or UNAUTHORIZED. A failure for a
 * known e-mail is recorded as `user.sign_in_failed` in that user's log; one for an unknown e-mail
 * is not stored (it would be a log of guesses, and of other people's addresses). A password hash
 * made with older, cheaper parameters is replaced by one made with today's once the password is
 * known to be right: the only time it can be.
 */
export async function verifyUserCredentials(options: VerifyUserCredentialsOptions): Promise<PublicUser> {
  const { db, email, password } = options;
  const invalid = new AppError(AppErrorCode.UNAUTHORIZED, { message: 'Invalid e-mail or password' });
  if (typeof email !== 'string' || typeof password !== 'string' || password.length > 256) throw invalid;
  const user = await db
    .selectFrom('users')
    .select(['id', 'name', 'email', 'password_hash', 'disabled_at'])
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
  // Hash even for an unknown e-mail, so the answer takes as long either way.
  const ok = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
  if (!user) throw invalid;
  if (!ok || user.disabled_at !== null) {
    await recordAuditEvent(db, {
      type: 'user.sign_in_failed',
      actor: options.audit?.actor ?? { kind: 'user', id: null, name: null },
      owner: { kind: 'user', userId: user.id },
      ip: options.audit?.ip ?? null,
      userAgent: options.audit?.userAgent ?? null,
      details: { reason: ok ? 'account_disabled' : 'wrong_password' },
      at: options.clock.now(),
    });
  }
  if (!ok) throw invalid;
  if (user.disabled_at !== null) throw new AppError(AppErrorCode.UNAUTHORIZED, { message: 'This account is disabled' });
  if (passwordHashNeedsUpgrade(user.password_hash)) {
    // Only over the hash that was checked: a password changed meanwhile is not overwritten.
    await db
      .updateTable('users')
      .set({ password_hash: await hashPassword(password) })
      .where('id', '=', user.id)
      .where('password_hash', '=', user.password_hash)
      .execute();
  }
  return { id: user.id, name: user.name, email: user.email };
}
