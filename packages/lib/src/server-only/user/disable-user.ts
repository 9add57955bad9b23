import type { Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';
import type { Clock } from '../clock';
import { invalidateApiTokens } from '../public-api/invalidate-api-tokens';

export type DisableUserOptions = { db: Db; clock: Clock; email: string };

/**
 * Disables a user: their sessions end and their personal tokens stop working at once. Disabling a
 * user who already is changes nothing (the first disabling time is kept) and says so.
 */
export async function disableUser({ db, clock, email }: DisableUserOptions): Promise<{ alreadyDisabled: boolean }> {
  return db.transaction().execute(async (trx) => {
    const user = await trx.selectFrom('users').select(['id', 'disabled_at']).where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
    if (!user) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No user with that e-mail' });
    if (user.disabled_at !== null) return { alreadyDisabled: true };
    await trx.updateTable('users').set({ disabled_at: clock.now() }).where('id', '=', user.id).execute();
    await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await invalidateApiTokens(trx, { userId: user.id });
    return { alreadyDisabled: false };
  });
}
