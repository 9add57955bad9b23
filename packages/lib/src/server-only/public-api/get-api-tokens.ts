// The owner's tokens, newest first, a page at a time. The UI lists up to 1,000 tokens, so the list
// is a prepared query (one per owner kind), which spares building the query on every call.
import { z } from 'zod';
import type { Db } from '../../db/create-database';
import { definePreparedQuery } from '../../db/prepared-query';
import { AppErrorCode } from '../../errors/app-error';
import type { ApiTokenMetadata } from '../../types/schemas';
import type { Clock } from '../clock';
import { parseInput } from '../validate';
import { toApiTokenMetadata, type ApiTokenMetadataRow } from './api-token-metadata';
import { type ApiTokenActor, resolveTokenOwner, type TokenOwner } from './token-owner';

export const ZApiTokenPage = z.object({
  limit: z.number().int().min(1).max(1000).optional(),
  /** The id of the last token of the previous page. */
  cursor: z.number().int().positive().optional(),
  status: z.enum(['active', 'expired'], { error: 'status must be active or expired' }).optional(),
  /** Never used, or last used, more than this many days ago; tokens younger than that never count. */
  unusedForDays: z
    .number({ error: 'unusedForDays must be a number of days' })
    .int({ error: 'unusedForDays must be a whole number of days' })
    .min(1, { error: 'unusedForDays must be at least 1' })
    .max(3650, { error: 'unusedForDays must be at most 3650' })
    .optional(),
});

export type GetApiTokensOptions = ApiTokenActor & {
  db: Db;
  clock: Clock;
  limit?: number;
  cursor?: number;
  status?: 'active' | 'expired';
  unusedForDays?: number;
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** The owner's live tokens, newest first; `nextCursor` is set when more remain. */
export async function getApiTokens(options: GetApiTokensOptions): Promise<{ tokens: ApiTokenMetadata[]; nextCursor: number | null }> {
  const { db, clock } = options;
  const page = parseInput(
    ZApiTokenPage,
    { limit: options.limit, cursor: options.cursor, status: options.status, unusedForDays: options.unusedForDays },
    AppErrorCode.INVALID_REQUEST,
  );
  const { owner } = await resolveTokenOwner(db, options);
  const now = clock.now();

  const params: ListParams = {
    ownerId: owner.kind === 'user' ? owner.userId : owner.teamId,
    now,
    // No cursor and no limit are the largest of each, so one statement serves every page.
    before: page.cursor ?? Number.MAX_SAFE_INTEGER,
    limit: page.limit === undefined ? Number.MAX_SAFE_INTEGER : page.limit + 1,
  };
  const filtered = page.status !== undefined || page.unusedForDays !== undefined;
  const rows: ApiTokenMetadataRow[] = filtered ? await filteredRows(db, owner, params, page) : await LIST_BY_OWNER[owner.kind].all(db, params);
  const more = page.limit !== undefined && rows.length > page.limit;
  const tokens = (more ? rows.slice(0, page.limit) : rows).map((row) => toApiTokenMetadata(row, now));
  return { tokens, nextCursor: more ? tokens[tokens.length - 1]!.id : null };
}

type ListParams = { ownerId: number; now: number; before: number; limit: number };

function listQuery(ownerColumn: 't.user_id' | 't.team_id') {
  return definePreparedQuery(`api_token_list_by_${ownerColumn.slice(2)}`, (db, p: ListParams) =>
    db
      .selectFrom('api_tokens as t')
      .leftJoin('users as creator', 'creator.id', 't.created_by')
      .select(['t.id', 't.name', 't.start', 't.scopes', 't.expires_at', 't.revoke_at', 't.created_at', 't.last_used_at', 't.created_by'])
      .select('creator.name as created_by_name')
      .where(ownerColumn, '=', p.ownerId)
      .where((eb) => eb.or([eb('t.revoke_at', 'is', null), eb('t.revoke_at', '>', p.now)]))
      .where('t.id', '<', p.before)
      .orderBy('t.id', 'desc')
      .limit(p.limit),
  );
}

const LIST_BY_OWNER: Record<TokenOwner['kind'], ReturnType<typeof listQuery>> = {
  user: listQuery('t.user_id'),
  team: listQuery('t.team_id'),
};

/** The filtered list (the UI's chips): rarer than the plain list, so an ordinary query. */
function filteredRows(db: Db, owner: TokenOwner, p: ListParams, filters: z.infer<typeof ZApiTokenPage>): Promise<ApiTokenMetadataRow[]> {
  let query = db
    .selectFrom('api_tokens as t')
    .leftJoin('users as creator', 'creator.id', 't.created_by')
    .select(['t.id', 't.name', 't.start', 't.scopes', 't.expires_at', 't.revoke_at', 't.created_at', 't.last_used_at', 't.created_by'])
    .select('creator.name as created_by_name')
    .where(owner.kind === 'user' ? 't.user_id' : 't.team_id', '=', p.ownerId)
    .where((eb) => eb.or([eb('t.revoke_at', 'is', null), eb('t.revoke_at', '>', p.now)]))
    .where('t.id', '<', p.before);
  if (filters.status === 'active') query = query.where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', p.now)]));
  if (filters.status === 'expired') query = query.where('t.expires_at', '<=', p.now);
  if (filters.unusedForDays !== undefined) {
    const since = p.now - filters.unusedForDays * DAY_MS;
    query = query.where('t.created_at', '<=', since).where((eb) => eb.or([eb('t.last_used_at', 'is', null), eb('t.last_used_at', '<', since)]));
  }
  return query.orderBy('t.id', 'desc').limit(p.limit).execute();
}
