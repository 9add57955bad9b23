import type { Db } from '../../db/create-database.js';
import type { TeamRole } from '../../types/schemas.js';
import type { Clock } from '../clock.js';
import { getTeamRole } from './get-team-role.js';

export type TeamMember = {
  userId: number;
  name: string;
  email: string;
  role: TeamRole;
  createdAt: Date;
  /**
   * The team's live tokens this member made, which removing them would revoke; only an ADMIN (who
   * manages the team's tokens) is told, others get null.
   */
  teamTokenCount: number | null;
};

/** The team's members; any member may look, outsiders get NOT_FOUND. */
export async function getTeamMembers({
  db,
  userId,
  teamId,
  clock,
}: {
  db: Db;
  userId: number;
  teamId: number;
  clock: Clock;
}): Promise<TeamMember[]> {
  const callerRole = await getTeamRole(db, teamId, userId);
  const rows = await db
    .selectFrom('team_members')
    .innerJoin('users', 'users.id', 'team_members.user_id')
    .select(['users.id', 'users.name', 'users.email', 'team_members.role', 'team_members.created_at'])
    .where('team_members.team_id', '=', teamId)
    .orderBy('team_members.created_at')
    .orderBy('users.id')
    .execute();
  const counts = callerRole === 'ADMIN' ? await teamTokensByMaker(db, teamId, clock.now()) : null;
  return rows.map((r) => ({
    userId: r.id,
    name: r.name,
    email: r.email,
    role: r.role,
    createdAt: new Date(r.created_at),
    teamTokenCount: counts ? (counts.get(r.id) ?? 0) : null,
  }));
}

/** How many of the team's live tokens each user made: what revokeTeamTokensOfMaker would revoke. */
async function teamTokensByMaker(db: Db, teamId: number, now: number): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('api_tokens')
    .select((eb) => ['created_by', eb.fn.countAll<number | string>().as('count')])
    .where('team_id', '=', teamId)
    .where('created_by', 'is not', null)
    .where((eb) => eb.or([eb('revoke_at', 'is', null), eb('revoke_at', '>', now)]))
    .groupBy('created_by')
    .execute();
  return new Map(rows.map((row) => [row.created_by!, Number(row.count)]));
}
