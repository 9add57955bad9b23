import type { Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';
import { ZId } from '../../types/schemas';
import { parseInput } from '../validate';
import { invalidateApiTokens } from './invalidate-api-tokens';
import { type ApiTokenActor, resolveTokenOwner, whereOwner } from './token-owner';

/** Deletes one of the owner's tokens; it fails every check from the moment this returns. */
export async function deleteApiTokenById(options: ApiTokenActor & { db: Db; id: number }): Promise<void> {
  const { db } = options;
  const id = parseInput(ZId, options.id, AppErrorCode.INVALID_REQUEST);
  const { owner } = await resolveTokenOwner(db, options);
  await db.transaction().execute(async (trx) => {
    const result = await whereOwner(trx.deleteFrom('api_tokens').where('api_tokens.id', '=', id), owner).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'API token not found' });
    await invalidateApiTokens(trx, { tokenIds: [id] });
  });
}
