import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { normalizeEmail } from '../../types/schemas.js';
import { invalidateApiTokens } from '../public-api/invalidate-api-tokens.js';

export type EnableUserOptions = { db: Db; email: string };

/**
 * Turns a disabled user back on: they can sign in and be given tokens again, and the personal
 * tokens they had (which were kept, refused while disabled) work again.
 */
export async function enableUser({ db, email }: EnableUserOptions): Promise<{ alreadyEnabled: boolean }> {
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .selectFrom('users')
      .select(['id', 'disabled_at'])
      .where('email', '=', normalizeEmail(email))
      .executeTakeFirst();
    if (!user) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No user with that e-mail' });
    if (user.disabled_at === null) return { alreadyEnabled: true };
    await trx.updateTable('users').set({ disabled_at: null }).where('id', '=', user.id).execute();
    // Caches hold these tokens as refused (owner disabled); every process must read them afresh.
    await invalidateApiTokens(trx, { userId: user.id });
    return { alreadyEnabled: false };
  });
}
