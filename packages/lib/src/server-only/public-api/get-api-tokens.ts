// The owner's tokens, newest first, a page at a time. The UI lists up to 1,000 tokens, and building
// a row object per token through Kysely and the driver was the largest part of that, so one SQL text
// is run as a prepared statement giving array rows: on a SQLite file through the reader connection,
// on PostgreSQL as a named statement on the pool. Any other Kysely instance (a transaction, an
// in-memory SQLite database) runs the same text through Kysely.
import { CompiledQuery } from 'kysely';
import { z } from 'zod';
import { getPostgresPool, getReaderStatement, isPostgres, type Db } from '../../db/create-database';
import { AppErrorCode } from '../../errors/app-error';
import type { ApiTokenMetadata } from '../../types/schemas';
import type { Clock } from '../clock';
import { parseInput } from '../validate';
import { toApiTokenMetadata, type ApiTokenMetadataRow } from './api-token-metadata';
import { type ApiTokenActor, resolveTokenOwner, type TokenOwner } from './token-owner';
import { getTokenPolicy } from './token-policy';

export const ZApiTokenPage = z.object({
  limit: z.number().int().min(1).max(1000).optional(),
  /** The id of the last token of the previous page. */
  cursor: z.number().int().positive().optional(),
});

export type GetApiTokensOptions = ApiTokenActor & {
  db: Db;
  clock: Clock;
  limit?: number;
  cursor?: number;
  /** TOKEN_MAX_LIFETIME_DAYS, to mark tokens that outlive it. */
  instanceMaxLifetimeDays?: number | null;
};

/** The owner's live tokens, newest first; `nextCursor` is set when more remain. */
export async function getApiTokens(options: GetApiTokensOptions): Promise<{ tokens: ApiTokenMetadata[]; nextCursor: number | null }> {
  const { db, clock } = options;
  const page = parseInput(ZApiTokenPage, { limit: options.limit, cursor: options.cursor }, AppErrorCode.INVALID_REQUEST);
  const { owner } = await resolveTokenOwner(db, options);
  const now = clock.now();

  const [rows, policy] = await Promise.all([listRows(db, owner, now, page), getTokenPolicy(db, owner, options.instanceMaxLifetimeDays)]);
  const more = page.limit !== undefined && rows.length > page.limit;
  const tokens = (more ? rows.slice(0, page.limit) : rows).map((row) => toApiTokenMetadata(row, now, policy));
  return { tokens, nextCursor: more ? tokens[tokens.length - 1]!.id : null };
}

type Page = { limit?: number; cursor?: number };

/** The list query for an owner kind, with or without a cursor; `param(n)` writes the n-th placeholder. */
function listSql(kind: TokenOwner['kind'], withCursor: boolean, param: (n: number) => string): string {
  return `select t.id, t.name, t.start, t.scopes, t.expires_at, t.revoke_at, t.created_at, t.last_used_at,
  t.created_by, creator.name as created_by_name, t.allowed_ips
from api_tokens t left join users creator on creator.id = t.created_by
where t.${kind === 'user' ? 'user_id' : 'team_id'} = ${param(1)} and (t.revoke_at is null or t.revoke_at > ${param(2)})${withCursor ? ` and t.id < ${param(3)}` : ''}
order by t.id desc limit ${param(withCursor ? 4 : 3)}`;
}

function listRows(db: Db, owner: TokenOwner, now: number, page: Page): Promise<ApiTokenMetadataRow[]> {
  const withCursor = page.cursor !== undefined;
  const variant = `${owner.kind}${withCursor ? '_after' : ''}`;
  const ownerId = owner.kind === 'user' ? owner.userId : owner.teamId;
  const rest = withCursor ? [page.cursor] : [];
  const limit = page.limit === undefined ? null : page.limit + 1;

  const sqlite = getReaderStatement(db, listSql(owner.kind, withCursor, () => '?'));
  if (sqlite) {
    // A negative limit is SQLite's "no limit".
    return Promise.resolve((sqlite.all(ownerId, now, ...rest, limit ?? -1) as unknown[][]).map(fromColumns));
  }
  const pool = getPostgresPool(db);
  if (pool) {
    // A null limit is PostgreSQL's "no limit".
    const text = listSql(owner.kind, withCursor, (n) => `$${n}`);
    return pool
      .query<unknown[]>({ name: `latchkey_api_token_list_${variant}`, text, values: [ownerId, now, ...rest, limit], rowMode: 'array' })
      .then(({ rows }) => rows.map(fromColumns));
  }
  const postgres = isPostgres(db);
  const text = listSql(owner.kind, withCursor, (n) => (postgres ? `$${n}` : '?'));
  return db.executeQuery<ApiTokenMetadataRow>(CompiledQuery.raw(text, [ownerId, now, ...rest, limit ?? (postgres ? null : -1)])).then(({ rows }) => rows);
}

function fromColumns(c: unknown[]): ApiTokenMetadataRow {
  return {
    id: c[0] as number,
    name: c[1] as string,
    start: c[2] as string,
    scopes: c[3] as string,
    expires_at: c[4] as number | null,
    revoke_at: c[5] as number | null,
    created_at: c[6] as number,
    last_used_at: c[7] as number | null,
    created_by: c[8] as number | null,
    created_by_name: c[9] as string | null,
    allowed_ips: c[10] as string,
  };
}
