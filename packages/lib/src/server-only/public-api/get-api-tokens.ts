// The owner's tokens, newest first, a page at a time. On a SQLite file the rows are read through
// the reader connection with prepared statements and array rows (the UI lists up to 1,000
// tokens, and better-sqlite3 building named-key row objects was the largest part of that); elsewhere
// (PostgreSQL, a transaction) through Kysely. Both read the same columns with the same conditions.
import { z } from 'zod';
import { getSqliteReader, type Db } from '../../db/create-database';
import { AppErrorCode } from '../../errors/app-error';
import type { ApiTokenMetadata } from '../../types/schemas';
import type { Clock } from '../clock';
import { parseInput } from '../validate';
import { toApiTokenMetadata, type ApiTokenMetadataRow } from './api-token-metadata';
import { type ApiTokenActor, resolveTokenOwner, type TokenOwner, whereOwner } from './token-owner';

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

  const rows = sqliteRows(db, owner, now, page) ?? (await kyselyRows(db, owner, now, page));
  const more = page.limit !== undefined && rows.length > page.limit;
  const tokens = (more ? rows.slice(0, page.limit) : rows).map((row) => toApiTokenMetadata(row, now));
  return { tokens, nextCursor: more ? tokens[tokens.length - 1]!.id : null };
}

type Page = { limit?: number; cursor?: number };

async function kyselyRows(db: Db, owner: TokenOwner, now: number, page: Page): Promise<ApiTokenMetadataRow[]> {
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
  return query.execute();
}

// The same query as `kyselyRows`, in SQLite's SQL. No cursor reads from the largest id; a negative
// limit is SQLite's "no limit".
const listSql = (ownerColumn: 'user_id' | 'team_id') => `select t.id, t.name, t.start, t.scopes, t.expires_at, t.revoke_at,
  t.created_at, t.last_used_at, t.created_by, creator.name
from api_tokens t left join users creator on creator.id = t.created_by
where t.${ownerColumn} = ? and (t.revoke_at is null or t.revoke_at > ?) and t.id < ?
order by t.id desc limit ?`;

type ListStatements = Record<TokenOwner['kind'], { all(...params: number[]): unknown[] }>;
const sqliteStatements = new WeakMap<object, ListStatements>();

function sqliteRows(db: Db, owner: TokenOwner, now: number, page: Page): ApiTokenMetadataRow[] | undefined {
  const sqlite = getSqliteReader(db);
  if (!sqlite) return undefined;
  let statements = sqliteStatements.get(sqlite);
  if (!statements) {
    statements = { user: sqlite.prepare(listSql('user_id')).raw(true), team: sqlite.prepare(listSql('team_id')).raw(true) };
    sqliteStatements.set(sqlite, statements);
  }
  const ownerId = owner.kind === 'user' ? owner.userId : owner.teamId;
  const rows = statements[owner.kind].all(ownerId, now, page.cursor ?? Number.MAX_SAFE_INTEGER, page.limit === undefined ? -1 : page.limit + 1);
  return (rows as unknown[][]).map((c) => ({
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
  }));
}
