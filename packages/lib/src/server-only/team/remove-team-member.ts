import type { Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';
import { auditFields } from '../audit/audit-actor';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event';
import { systemClock, type Clock } from '../clock';
import { assertTeamAdmin, lockTeam } from './get-team-role';
import { assertAnotherAdminRemains } from './assert-another-admin-remains';

/** ADMIN only: removes a member; the last ADMIN cannot be removed. */
export type RemoveTeamMemberOptions = {
  db: Db;
  userId: number;
  teamId: number;
  memberUserId: number;
  clock?: Clock;
  audit?: AuditContext;
};

export async function removeTeamMember(options: RemoveTeamMemberOptions): Promise<void> {
  const { db, userId, teamId, memberUserId } = options;
  await db.transaction().execute(async (trx) => {
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
    await recordAuditEvent(trx, {
      type: 'team.member_removed',
      ...auditFields(options),
      owner: { kind: 'team', teamId },
      details: { userId: memberUserId, role: member.role },
      at: (options.clock ?? systemClock).now(),
    });
  });
}
