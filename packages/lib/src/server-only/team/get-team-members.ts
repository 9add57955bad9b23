import type { Db } from '../../db/create-database';
import type { TeamRole } from '../../types/schemas';
import { getTeamRole } from './get-team-role';

export type TeamMember = { userId: number; name: string; email: string; role: TeamRole; createdAt: Date };

/** The team's members; any member may look, outsiders get NOT_FOUND. */
export async function getTeamMembers({
  db,
  userId,
  teamId,
}: {
  db: Db;
  userId: number;
  teamId: number;
}): Promise<TeamMember[]> {
  await getTeamRole(db, teamId, userId);
  const rows = await db
    .selectFrom('team_members')
    .innerJoin('users', 'users.id', 'team_members.user_id')
    .select(['users.id', 'users.name', 'users.email', 'team_members.role', 'team_members.created_at'])
    .where('team_members.team_id', '=', teamId)
    .orderBy('team_members.created_at')
    .orderBy('users.id')
    .execute();
  return rows.map((r) => ({
    userId: r.id,
    name: r.name,
    email: r.email,
    role: r.role,
    createdAt: new Date(r.created_at),
  }));
}
