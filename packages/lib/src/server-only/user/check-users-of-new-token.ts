import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';

export const USER_DISABLED_NO_NEW_TOKENS = 'This user is disabled, so no new token can be made for them';

/**
 * Refuses (FORBIDDEN) when any user the new token is given to is disabled: a disabled user gets no
 * new token by any way in. Reads the creator's name in the same statement, for the new token's
 * metadata (a token made through a team token has a creator but no user it is given to).
 */
export async function checkUsersOfNewToken(
  db: Db,
  givenTo: readonly number[],
  creator: number | null,
): Promise<{ creatorName: string | null }> {
  const ids = [...new Set(creator === null ? givenTo : [...givenTo, creator])];
  if (ids.length === 0) return { creatorName: null };
  const users = await db.selectFrom('users').select(['id', 'name', 'disabled_at']).where('id', 'in', ids).execute();
  if (users.some((user) => user.disabled_at !== null && givenTo.includes(user.id)))
    throw new AppError(AppErrorCode.FORBIDDEN, { message: USER_DISABLED_NO_NEW_TOKENS });
  return { creatorName: users.find((user) => user.id === creator)?.name ?? null };
}
