import type { Kysely } from 'kysely';
import type { Db } from '../../db/create-database';
import { lockRows } from '../../db/row-locks';
import type { Schema } from '../../db/schema';
import { AppError, AppErrorCode } from '../../errors/app-error';
import type { TeamRole } from '../../types/schemas';

/** The user's role in the team; NOT_FOUND when the team does not exist or the user is not in it. */
export async function getTeamRole(db: Kysely<Schema>, teamId: number, userId: number): Promise<TeamRole> {
  const member = await db
    .selectFrom('team_members')
    .select('role')
    .where('team_id', '=', teamId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!member) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'Team not found' });
  return member.role;
}

/** Passes only for a team ADMIN; others get FORBIDDEN with `message`, outsiders NOT_FOUND. */
export async function assertTeamAdmin(
  db: Kysely<Schema>,
  teamId: number,
  userId: number,
  message: string,
): Promise<void> {
  const role = await getTeamRole(db, teamId, userId);
  if (role !== 'ADMIN') throw new AppError(AppErrorCode.FORBIDDEN, { message });
}

/** Serialises changes to one team's members inside a transaction. */
export async function lockTeam(trx: Db, teamId: number): Promise<void> {
  await lockRows(trx, trx.selectFrom('teams').select('id').where('id', '=', teamId));
}
