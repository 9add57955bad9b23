import type { Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';
import { ZId } from '../../types/schemas';
import { parseInput } from '../validate';
import { type ApiTokenActor, resolveTokenOwner, whereOwner } from './token-owner';

/** Deletes one of the owner's tokens; it fails every check from the moment this returns. */
export async function deleteApiTokenById(options: ApiTokenActor & { db: Db; id: number }): Promise<void> {
  const { db } = options;
  const id = parseInput(ZId, options.id, AppErrorCode.INVALID_REQUEST);
  const { owner } = await resolveTokenOwner(db, options);
  const result = await whereOwner(db.deleteFrom('api_tokens').where('api_tokens.id', '=', id), owner).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'API token not found' });
}
