import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZId, type TeamPolicy } from '../../types/schemas.js';
import { teamPolicyOfRow } from '../public-api/token-policy.js';
import { parseInput } from '../validate.js';
import { getTeamRole } from './get-team-role.js';

/** A team's token policy; any member may read it (the create dialog needs it), outsiders get NOT_FOUND. */
export async function getTeamPolicy(options: { db: Db; userId: number; teamId: number }): Promise<TeamPolicy> {
  const { db } = options;
  const teamId = parseInput(ZId, options.teamId, AppErrorCode.INVALID_REQUEST);
  await getTeamRole(db, teamId, options.userId);
  const row = await db
    .selectFrom('teams')
    .select(['policy_max_lifetime_days', 'policy_allowed_scopes'])
    .where('id', '=', teamId)
    .executeTakeFirst();
  if (!row) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'Team not found' });
  return teamPolicyOfRow(row);
}
