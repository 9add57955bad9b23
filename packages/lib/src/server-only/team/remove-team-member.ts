import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { assertTeamAdmin, lockTeam } from './get-team-role.js';
import { assertAnotherAdminRemains } from './assert-another-admin-remains.js';
import { revokeTeamTokensOfMaker } from '../public-api/revoke-team-tokens-of-maker.js';

/**
 * ADMIN only: removes a member (an ADMIN removing themselves leaves); the last ADMIN cannot be
 * removed. The team tokens the member made are revoked with the removal, in its transaction, and
 * the answer says how many (the members list gives each member's count beforehand).
 */
export type RemoveTeamMemberOptions = {
  db: Db;
  userId: number;
  teamId: number;
  memberUserId: number;
  clock: Clock;
  audit?: AuditContext;
};

export async function removeTeamMember(options: RemoveTeamMemberOptions): Promise<{ revokedTokens: number }> {
  const { db, userId, teamId, memberUserId } = options;
  const now = options.clock.now();
  return db.transaction().execute(async (trx) => {
    await lockTeam(trx, teamId);
    await assertTeamAdmin(trx, teamId, userId, 'You need to be a team admin to manage members');
    const member = await trx
      .selectFrom('team_members')
      .select('role')
      .where('team_id', '=', teamId)
      .where('user_id', '=', memberUserId)
      .executeTakeFirst();
    if (!member) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'That user is not a member of this team' });
    if (member.role === 'ADMIN') await assertAnotherAdminRemains(trx, teamId);
    await trx.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', memberUserId).execute();
    const audit = auditFields(options);
    await recordAuditEvent(trx, {
      type: 'team.member_removed',
      ...audit,
      owner: { kind: 'team', teamId },
      details: { userId: memberUserId, role: member.role },
      at: now,
    });
    // Under the team lock: a token being made by this member meanwhile waits for it, then is refused.
    const revokedTokens = await revokeTeamTokensOfMaker(trx, {
      makerId: memberUserId,
      teamId,
      reason: 'maker_left_team',
      ...audit,
      now,
    });
    return { revokedTokens };
  });
}
