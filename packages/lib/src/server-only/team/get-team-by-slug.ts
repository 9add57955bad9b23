import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import type { PublicTeam } from '../../types/schemas.js';

export async function getTeamBySlug({ db, slug }: { db: Db; slug: string }): Promise<PublicTeam> {
  const team = await db
    .selectFrom('teams')
    .select(['id', 'name', 'slug'])
    .where('slug', '=', slug.trim().toLowerCase())
    .executeTakeFirst();
  if (!team) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No team with that slug' });
  return team;
}
