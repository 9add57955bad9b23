import type { Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';
import { normalizeEmail } from '../../types/schemas';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event';
import type { Clock } from '../clock';
import { invalidateApiTokens } from '../public-api/invalidate-api-tokens';

/** `audit.actor` defaults to the command line, the only way in that disables users today. */
export type DisableUserOptions = { db: Db; clock: Clock; email: string; audit?: AuditContext };

/**
 * Disables a user: their sessions end and their personal tokens stop working at once. Disabling a
 * user who already is changes nothing (the first disabling time is kept, no second event) and says so.
 */
export async function disableUser({
  db,
  clock,
  email,
  audit,
}: DisableUserOptions): Promise<{ alreadyDisabled: boolean }> {
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'disabled_at'])
      .where('email', '=', normalizeEmail(email))
      .executeTakeFirst();
    if (!user) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No user with that e-mail' });
    if (user.disabled_at !== null) return { alreadyDisabled: true };
    await trx.updateTable('users').set({ disabled_at: clock.now() }).where('id', '=', user.id).execute();
    await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await invalidateApiTokens(trx, { userId: user.id });
    await recordAuditEvent(trx, {
      type: 'user.disabled',
      actor: audit?.actor ?? { kind: 'cli', id: null, name: null },
      owner: { kind: 'user', userId: user.id },
      ip: audit?.ip ?? null,
      userAgent: audit?.userAgent ?? null,
      at: clock.now(),
    });
    return { alreadyDisabled: false };
  });
}
