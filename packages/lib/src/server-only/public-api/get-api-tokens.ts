import { z } from 'zod';
import type { Db } from '../../db/create-database';
import { AppErrorCode } from '../../errors/app-error';
import type { ApiTokenMetadata } from '../../types/schemas';
import type { Clock } from '../clock';
import { parseInput } from '../validate';
import { toApiTokenMetadata } from './api-token-metadata';
import { type ApiTokenActor, resolveTokenOwner, whereOwner } from './token-owner';

export const ZApiTokenPage = z.object({
  limit: z.number().int().min(1).max(1000).optional(),
  /** The id of the last token of the previous page. */
  cursor: z.number().int().positive().optional(),
});

export type GetApiTokensOptions = ApiTokenActor & { db: Db; clock: Clock; limit?: number; cursor?: number };

/** The owner's live tokens, newest first; `nextCursor` is set when more remain. */
export async function getApiTokens(options: GetApiTokensOptions): Promise<{ tokens: ApiTokenMetadata[]; nextCursor: number | null }> {
  const { db, clock } = options;
  const page = parseInput(ZApiTokenPage, { limit: options.limit, cursor: options.cursor }, AppErrorCode.INVALID_REQUEST);
  const { owner } = await resolveTokenOwner(db, options);
  const now = clock.now();

  let query = db
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
    ])
    .where((eb) => eb.or([eb('api_tokens.revoke_at', 'is', null), eb('api_tokens.revoke_at', '>', now)]))
    .orderBy('api_tokens.id', 'desc');
  query = whereOwner(query, owner);
  if (page.cursor !== undefined) query = query.where('api_tokens.id', '<', page.cursor);
  if (page.limit !== undefined) query = query.limit(page.limit + 1);

  const rows = await query.execute();
  const more = page.limit !== undefined && rows.length > page.limit;
  const tokens = (more ? rows.slice(0, page.limit) : rows).map((row) => toApiTokenMetadata(row, now));
  return { tokens, nextCursor: more ? tokens[tokens.length - 1]!.id : null };
}
