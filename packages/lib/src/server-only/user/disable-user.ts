import type { Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';
import type { Clock } from '../clock';
import { invalidateApiTokens } from '../public-api/invalidate-api-tokens';

export type DisableUserOptions = { db: Db; clock: Clock; email: string };

/** Disables a user: their sessions end and their personal tokens stop working at once. */
export async function disableUser({ db, clock, email }: DisableUserOptions): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const user = await trx
      .updateTable('users')
      .set({ disabled_at: clock.now() })
      .where('email', '=', email.trim().toLowerCase())
      .returning('id')
      .executeTakeFirst();
    if (!user) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No user with that e-mail' });
    await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    await invalidateApiTokens(trx, { userId: user.id });
  });
}
