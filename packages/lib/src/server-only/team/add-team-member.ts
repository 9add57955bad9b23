import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZEmail, ZTeamRole, type TeamRole } from '../../types/schemas.js';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../../db/errors.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import { isOperator, operatorAuditContext, type UserOrOperator } from '../operator.js';
import { parseInput } from '../validate.js';
import { assertTeamAdminOrOperator } from './get-team-role.js';

export type AddTeamMemberOptions = {
  db: Db;
  clock: Clock;
  teamId: number;
  email: string;
  role: TeamRole;
  audit?: AuditContext;
} & UserOrOperator;

/** ADMIN (or the operator) only: adds an existing user to the team. */
export async function addTeamMember(options: AddTeamMemberOptions): Promise<void> {
  const { db, clock, teamId } = options;
  const email = parseInput(ZEmail, options.email);
  const role = parseInput(ZTeamRole, options.role);
  await assertTeamAdminOrOperator(db, teamId, options, 'You need to be a team admin to manage members');
  const user = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  if (!user)
    throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No user with that e-mail; they need to sign up first' });
  const audit = isOperator(options.actor) ? operatorAuditContext(options.audit) : options.audit;
  try {
    await db.transaction().execute(async (trx) => {
      const now = clock.now();
      await trx
        .insertInto('team_members')
        .values({ team_id: teamId, user_id: user.id, role, created_at: now })
        .execute();
      await recordAuditEvent(trx, {
        type: 'team.member_added',
        ...auditFields({ audit, userId: options.userId }),
        owner: { kind: 'team', teamId },
        details: { userId: user.id, email, role },
        at: now,
      });
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError(AppErrorCode.CONFLICT, { message: 'That user is already a member of this team' });
    throw error;
  }
}
