// The owner's tokens, newest first, a page at a time. The UI lists up to 1,000 tokens, so the list
// is a prepared query (one per owner kind), which spares building the query on every call.
import { z } from 'zod';
import type { Db } from '../../db/create-database.js';
import { definePreparedQuery } from '../../db/prepared-query.js';
import { AppErrorCode } from '../../errors/app-error.js';
import { ZApiTokenStatusFilter, ZUnusedForDays, type ApiTokenMetadata } from '../../types/schemas.js';
import type { Clock } from '../clock.js';
import { parseInput } from '../validate.js';
import { getTokenPolicy } from './token-policy.js';
import { toApiTokenMetadata, type ApiTokenMetadataRow } from './api-token-metadata.js';
import { type ApiTokenActor, resolveTokenOwner, type TokenOwner } from './token-owner.js';

export const ZApiTokenPage = z.object({
  limit: z.number().int().min(1).max(1000).optional(),
  /** The id of the last token of the previous page. */
  cursor: z.number().int().positive().optional(),
  status: ZApiTokenStatusFilter.optional(),
  unusedForDays: ZUnusedForDays.optional(),
});

export type GetApiTokensOptions = ApiTokenActor & {
  db: Db;
  clock: Clock;
  limit?: number;
  cursor?: number;
  status?: 'active' | 'expired';
  unusedForDays?: number;
  /** TOKEN_MAX_LIFETIME_DAYS, to mark tokens that outlive it. */
  instanceMaxLifetimeDays?: number | null;
};

const DAY_MS = 24 * 60 * 60 * 1000;
const NONE = Number.MAX_SAFE_INTEGER;

/** The owner's live tokens, newest first; `nextCursor` is set when more remain. */
export async function getApiTokens(
  options: GetApiTokensOptions,
): Promise<{ tokens: ApiTokenMetadata[]; nextCursor: number | null }> {
  const { db, clock } = options;
  const page = parseInput(
    ZApiTokenPage,
    { limit: options.limit, cursor: options.cursor, status: options.status, unusedForDays: options.unusedForDays },
    AppErrorCode.INVALID_REQUEST,
  );
  const { owner } = await resolveTokenOwner(db, options);
  const now = clock.now();

  const policy = await getTokenPolicy(db, owner, options.instanceMaxLifetimeDays);
  const rows: ApiTokenMetadataRow[] = await LIST_BY_OWNER[owner.kind].all(db, {
    ownerId: owner.kind === 'user' ? owner.userId : owner.teamId,
    now,
    // No cursor and no limit are the largest of each, so one statement serves every page.
    before: page.cursor ?? NONE,
    limit: page.limit === undefined ? NONE : page.limit + 1,
    // Each filter is a bound that every row passes when the filter is not asked for.
    activeAfter: page.status === 'active' ? now : -NONE,
    expiredBy: page.status === 'expired' ? now : NONE,
    createdBy: page.unusedForDays === undefined ? NONE : now - page.unusedForDays * DAY_MS,
    usedBefore: page.unusedForDays === undefined ? NONE : now - page.unusedForDays * DAY_MS,
  });
  const more = page.limit !== undefined && rows.length > page.limit;
  const tokens = (more ? rows.slice(0, page.limit) : rows).map((row) => toApiTokenMetadata(row, now, policy));
  return { tokens, nextCursor: more ? tokens[tokens.length - 1]!.id : null };
}

type ListParams = {
  ownerId: number;
  now: number;
  before: number;
  limit: number;
  activeAfter: number;
  expiredBy: number;
  createdBy: number;
  usedBefore: number;
};

function listQuery(ownerColumn: 't.user_id' | 't.team_id') {
  return definePreparedQuery(`api_token_list_by_${ownerColumn.slice(2)}`, (db, p: ListParams) =>
    db
      .selectFrom('api_tokens as t')
      .leftJoin('users as creator', 'creator.id', 't.created_by')
      .select([
        't.id',
        't.name',
        't.start',
        't.scopes',
        't.expires_at',
        't.revoke_at',
        't.created_at',
        't.last_used_at',
        't.created_by',
      ])
      .select(['creator.name as created_by_name', 't.allowed_ips'])
      .where(ownerColumn, '=', p.ownerId)
      .where((eb) => eb.or([eb('t.revoke_at', 'is', null), eb('t.revoke_at', '>', p.now)]))
      .where('t.id', '<', p.before)
      .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', p.activeAfter)]))
      .where((eb) => eb(eb.fn.coalesce('t.expires_at', eb.val(NONE)), '<=', p.expiredBy))
      .where('t.created_at', '<=', p.createdBy)
      .where((eb) => eb(eb.fn.coalesce('t.last_used_at', eb.val(-NONE)), '<', p.usedBefore))
      .orderBy('t.id', 'desc')
      .limit(p.limit),
  );
}

const LIST_BY_OWNER: Record<TokenOwner['kind'], ReturnType<typeof listQuery>> = {
  user: listQuery('t.user_id'),
  team: listQuery('t.team_id'),
};
