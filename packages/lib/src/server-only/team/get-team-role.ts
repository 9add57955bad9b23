import type { Kysely } from 'kysely';
import type { Db } from '../../db/create-database.js';
import { lockRows } from '../../db/row-locks.js';
import type { Schema } from '../../db/schema.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import type { TeamRole } from '../../types/schemas.js';
import { isOperator, type UserOrOperator } from '../operator.js';

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

/** NOT_FOUND unless the team exists. */
export async function assertTeamExists(db: Kysely<Schema>, teamId: number): Promise<void> {
  const team = await db.selectFrom('teams').select('id').where('id', '=', teamId).executeTakeFirst();
  if (!team) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No team with that id' });
}

/**
 * Passes for the operator once the team exists, and for a team ADMIN; other members get FORBIDDEN
 * with `message`, outsiders NOT_FOUND.
 */
export async function assertTeamAdminOrOperator(
  db: Kysely<Schema>,
  teamId: number,
  who: UserOrOperator,
  message: string,
): Promise<void> {
  if (isOperator(who.actor)) await assertTeamExists(db, teamId);
  else await assertTeamAdmin(db, teamId, who.userId as number, message);
}

/** Serialises changes to one team's members inside a transaction. */
export async function lockTeam(trx: Db, teamId: number): Promise<void> {
  await lockRows(trx, trx.selectFrom('teams').select('id').where('id', '=', teamId));
}
