import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZTeamRole, type TeamRole } from '../../types/schemas.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { parseInput } from '../validate.js';
import { assertTeamAdmin, lockTeam } from './get-team-role.js';
import { assertAnotherAdminRemains } from './assert-another-admin-remains.js';

/** ADMIN only: changes a member's role; the last ADMIN cannot be demoted. */
export async function updateTeamMemberRole(options: {
  db: Db;
  userId: number;
  teamId: number;
  memberUserId: number;
  role: TeamRole;
  clock: Clock;
  audit?: AuditContext;
}): Promise<void> {
  const { db, userId, teamId, memberUserId } = options;
  const role = parseInput(ZTeamRole, options.role);
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
    if (member.role === 'ADMIN' && role !== 'ADMIN') await assertAnotherAdminRemains(trx, teamId);
    await trx
      .updateTable('team_members')
      .set({ role })
      .where('team_id', '=', teamId)
      .where('user_id', '=', memberUserId)
      .execute();
    if (member.role === role) return;
    await recordAuditEvent(trx, {
      type: 'team.member_role_changed',
      ...auditFields(options),
      owner: { kind: 'team', teamId },
      details: { userId: memberUserId, role, previousRole: member.role },
      at: options.clock.now(),
    });
  });
}
