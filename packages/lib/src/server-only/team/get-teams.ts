import type { Db } from '../../db/create-database.js';
import type { PublicTeam, TeamRole } from '../../types/schemas.js';

/** The teams the user belongs to, with the user's role in each. */
export async function getTeams({
  db,
  userId,
}: {
  db: Db;
  userId: number;
}): Promise<Array<PublicTeam & { role: TeamRole }>> {
  return db
    .selectFrom('team_members')
    .innerJoin('teams', 'teams.id', 'team_members.team_id')
    .select(['teams.id', 'teams.name', 'teams.slug', 'team_members.role'])
    .where('team_members.user_id', '=', userId)
    .orderBy('teams.name')
    .orderBy('teams.id')
    .execute();
}
