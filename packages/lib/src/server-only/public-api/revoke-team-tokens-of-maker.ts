// When a user leaves a team (or is removed from it) or is disabled, the team tokens they made stop
// working: they were made with the maker's standing in the team, which is gone. Each is deleted as a
// delete is (this process's cache at once, every other process through the revocation log within
// 1 s), with a `token.revoked` event in the team's log. Called inside the transaction of the change.
import type { Db } from '../../db/create-database.js';
import { recordAuditEvent, type AuditActor } from '../audit/record-audit-event.js';
import { invalidateApiTokens } from './invalidate-api-tokens.js';

export type MakerDepartureReason = 'maker_left_team' | 'maker_disabled';

export type RevokeTeamTokensOfMakerOptions = {
  makerId: number;
  /** The team left; every team when the maker is disabled. */
  teamId?: number;
  reason: MakerDepartureReason;
  actor: AuditActor;
  ip?: string | null;
  userAgent?: string | null;
  now: number;
};

/** Deletes the live team tokens `makerId` made (in `teamId`, or in every team) and says how many. */
export async function revokeTeamTokensOfMaker(trx: Db, options: RevokeTeamTokensOfMakerOptions): Promise<number> {
  const { makerId, teamId, now } = options;
  let query = trx
    .deleteFrom('api_tokens')
    .where('created_by', '=', makerId)
    // Rows already rotated away are no longer tokens anyone sees; they are left to the purge.
    .where((eb) => eb.or([eb('revoke_at', 'is', null), eb('revoke_at', '>', now)]));
  query = teamId === undefined ? query.where('team_id', 'is not', null) : query.where('team_id', '=', teamId);
  const deleted = await query.returning(['id', 'name', 'start', 'team_id']).execute();
  // Recorded oldest token first, whatever order the database deleted them in.
  deleted.sort((a, b) => a.id - b.id);
  for (const token of deleted) {
    await recordAuditEvent(trx, {
      type: 'token.revoked',
      actor: options.actor,
      owner: { kind: 'team', teamId: token.team_id! },
      tokenId: token.id,
      ip: options.ip ?? null,
      userAgent: options.userAgent ?? null,
      details: { name: token.name, start: token.start, reason: options.reason, userId: makerId },
      at: now,
    });
  }
  await invalidateApiTokens(trx, { tokenIds: deleted.map((token) => token.id) });
  return deleted.length;
}
