// A signed-in user changes their password: the current one must be given (a session left open on a
// shared computer is not enough), the new one follows the sign-up rules, and every other session of
// the account ends, so whoever knew the old password is signed out everywhere.
import { z } from 'zod';
import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZPassword } from '../../types/schemas.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { hashPassword, verifyPassword } from '../hash.js';
import { endOtherSessions } from '../session/account-sessions.js';
import { parseInput } from '../validate.js';
import { COMMON_PASSWORD_MESSAGE, isCommonPassword } from './common-passwords.js';

export const ZChangePasswordInput = z.object({
  currentPassword: z.string().max(256, { error: 'Password must be at most 256 characters' }),
  newPassword: ZPassword,
});

export const WRONG_CURRENT_PASSWORD = 'The current password is not right';

function refusal(path: string, message: string): AppError {
  return new AppError(AppErrorCode.INVALID_BODY, { message, issues: [{ path, message }] });
}

export async function changePassword(options: {
  db: Db;
  clock: Clock;
  userId: number;
  currentPassword: string;
  newPassword: string;
  /** The session making the change, which stays signed in. */
  currentSessionId: string;
  audit?: AuditContext;
}): Promise<{ endedSessions: number }> {
  const { db, clock, userId } = options;
  const input = parseInput(ZChangePasswordInput, {
    currentPassword: options.currentPassword,
    newPassword: options.newPassword,
  });
  const user = await db.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst();
  if (!user) throw new AppError(AppErrorCode.UNAUTHORIZED, { message: 'Sign in first' });
  if (!(await verifyPassword(input.currentPassword, user.password_hash)))
    throw refusal('currentPassword', WRONG_CURRENT_PASSWORD);
  if (input.newPassword === input.currentPassword)
    throw refusal('newPassword', 'The new password must differ from the current one');
  if (await isCommonPassword(input.newPassword)) throw refusal('newPassword', COMMON_PASSWORD_MESSAGE);
  const passwordHash = await hashPassword(input.newPassword);
  return db.transaction().execute(async (trx) => {
    // Only over the hash that was checked: of two changes at once, the second finds it changed.
    const updated = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('id', '=', userId)
      .where('password_hash', '=', user.password_hash)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw refusal('currentPassword', WRONG_CURRENT_PASSWORD);
    const endedSessions = await endOtherSessions(trx, { userId, keepSessionId: options.currentSessionId });
    await recordAuditEvent(trx, {
      type: 'user.password_changed',
      ...auditFields(options),
      owner: { kind: 'user', userId },
      details: { endedSessions },
      at: clock.now(),
    });
    return { endedSessions };
  });
}
