import type { Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';

export const USER_DISABLED_NO_NEW_TOKENS = 'This user is disabled, so no new token can be made for them';

/** Refuses (FORBIDDEN) when any of these users is disabled: a disabled user gets no new token by any way in. */
export async function assertUsersEnabled(db: Db, userIds: readonly number[]): Promise<void> {
  if (userIds.length === 0) return;
  const disabled = await db
    .selectFrom('users')
    .select('id')
    .where('id', 'in', [...new Set(userIds)])
    .where('disabled_at', 'is not', null)
    .executeTakeFirst();
  if (disabled) throw new AppError(AppErrorCode.FORBIDDEN, { message: USER_DISABLED_NO_NEW_TOKENS });
}
