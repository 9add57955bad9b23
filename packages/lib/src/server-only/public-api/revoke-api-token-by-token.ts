import type { Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';
import { isWellFormedApiToken } from '../../universal/token-format';
import { hashSecret } from '../hash';
import { invalidateApiTokens } from './invalidate-api-tokens';

/** For operators with a leaked token in hand: deletes it by its value, whoever owns it. */
export async function revokeApiTokenByToken({ db, token }: { db: Db; token: string }): Promise<{ id: number; name: string }> {
  if (typeof token !== 'string' || !isWellFormedApiToken(token.trim())) {
    throw new AppError(AppErrorCode.INVALID_REQUEST, { message: 'That is not a Latchkey token (api_ followed by 36 letters and digits, with a valid checksum)' });
  }
  return db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('api_tokens').where('token_hash', '=', hashSecret(token.trim())).returning(['id', 'name']).executeTakeFirst();
    if (!row) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No such token (already deleted, or never issued here)' });
    await invalidateApiTokens(trx, { tokenIds: [row.id] });
    return row;
  });
}
