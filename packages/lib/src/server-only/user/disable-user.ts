import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { normalizeEmail } from '../../types/schemas.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { invalidateApiTokens } from '../public-api/invalidate-api-tokens.js';
import { revokeTeamTokensOfMaker } from '../public-api/revoke-team-tokens-of-maker.js';

/** `audit.actor` defaults to the command line, the only way in that disables users today. */
export type DisableUserOptions = { db: Db; clock: Clock; email: string; audit?: AuditContext };

/**
 * Disables a user: their sessions end and their personal tokens stop working at once (kept, refused
 * while disabled); the team tokens they made are revoked in every team, and the answer says how
 * many. Disabling a user who already is changes nothing (the first disabling time is kept, no second
 * event) and says so.
 */
export async function disableUser({
  db,
  clock,
  email,
  audit,
}: DisableUserOptions): Promise<{ alreadyDisabled: boolean; revokedTeamTokens: number }> {
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'disabled_at'])
      .where('email', '=', normalizeEmail(email))
      .executeTakeFirst();
    if (!user) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No user with that e-mail' });
    if (user.disabled_at !== null) return { alreadyDisabled: true, revokedTeamTokens: 0 };
    const now = clock.now();
    // The update locks the user's row first: a team token being made by them meanwhile either was
    // made before (and is revoked below) or waits and is refused (lockOwnerForNewToken).
    await trx.updateTable('users').set({ disabled_at: now }).where('id', '=', user.id).execute();
    await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await invalidateApiTokens(trx, { userId: user.id });
    const actor = audit?.actor ?? { kind: 'cli' as const, id: null, name: null };
    const from = { ip: audit?.ip ?? null, userAgent: audit?.userAgent ?? null };
    await recordAuditEvent(trx, {
      type: 'user.disabled',
      actor,
      owner: { kind: 'user', userId: user.id },
      ...from,
      at: now,
    });
    const revokedTeamTokens = await revokeTeamTokensOfMaker(trx, {
      makerId: user.id,
      reason: 'maker_disabled',
      actor,
      ...from,
      now,
    });
    return { alreadyDisabled: false, revokedTeamTokens };
  });
}
