import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZId, type ApiTokenMetadata } from '../../types/schemas.js';
import type { Clock } from '../clock.js';
import { parseInput } from '../validate.js';
import { toApiTokenMetadata } from './api-token-metadata.js';
import { type ApiTokenActor, resolveTokenOwner, whereOwner } from './token-owner.js';
import { getTokenPolicy } from './token-policy.js';

/** One of the owner's tokens; someone else's id is NOT_FOUND, exactly like an unknown one. */
export async function getApiTokenById(
  options: ApiTokenActor & { db: Db; clock: Clock; id: number; instanceMaxLifetimeDays?: number | null },
): Promise<ApiTokenMetadata> {
  const { db, clock } = options;
  const id = parseInput(ZId, options.id, AppErrorCode.INVALID_REQUEST);
  const { owner } = await resolveTokenOwner(db, options);
  const now = clock.now();
  const query = db
    .selectFrom('api_tokens')
    .leftJoin('users as creator', 'creator.id', 'api_tokens.created_by')
    .select([
      'api_tokens.id',
      'api_tokens.name',
      'api_tokens.start',
      'api_tokens.scopes',
      'api_tokens.expires_at',
      'api_tokens.revoke_at',
      'api_tokens.created_at',
      'api_tokens.last_used_at',
      'api_tokens.created_by',
      'creator.name as created_by_name',
      'api_tokens.allowed_ips',
    ])
    .where('api_tokens.id', '=', id)
    .where((eb) => eb.or([eb('api_tokens.revoke_at', 'is', null), eb('api_tokens.revoke_at', '>', now)]));
  const row = await whereOwner(query, owner).executeTakeFirst();
  if (!row) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'API token not found' });
  return toApiTokenMetadata(row, now, await getTokenPolicy(db, owner, options.instanceMaxLifetimeDays));
}
