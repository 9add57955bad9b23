// The request check, run on every API request: format and checksum (no I/O), one SHA-256, one
// indexed lookup, then expiry and owner. Failures are UNAUTHORIZED with the messages of API.md.
import { CompiledQuery } from 'kysely';
import { getSqliteReader, type Db } from '../../db/create-database';
import { AppError, AppErrorCode } from '../../errors/app-error';
import type { PublicTeam, PublicUser } from '../../types/schemas';
import { isWellFormedApiToken } from '../../universal/token-format';
import type { Clock } from '../clock';
import { hashSecret } from '../hash';
import { effectiveExpiry } from './api-token-metadata';
import type { LastUsedTracker } from './last-used-tracker';
import type { ActingApiToken } from './token-owner';

export type VerifiedApiToken = ActingApiToken & {
  name: string;
  start: string;
  lastUsedAt: number | null;
  /** The personal token's user, or the user who made a team token (null if deleted). */
  user: PublicUser | null;
  team: PublicTeam | null;
};

export const INVALID_TOKEN = 'Invalid token';
export const EXPIRED_TOKEN = 'Expired token';
export const MISSING_TOKEN = 'API token was not provided';

type TokenLookupRow = {
  id: number;
  name: string;
  start: string;
  scopes: string;
  expires_at: number | null;
  revoke_at: number | null;
  created_at: number;
  last_used_at: number | null;
  user_id: number | null;
  team_id: number | null;
  created_by: number | null;
  owner_id: number | null;
  owner_name: string | null;
  owner_email: string | null;
  owner_disabled_at: number | null;
  team_name: string | null;
  team_slug: string | null;
};

// One statement, written once: the token row with its user (the owner, or a team token's maker) and team.
const LOOKUP_SQL = `select t.id, t.name, t.start, t.scopes, t.expires_at, t.revoke_at, t.created_at, t.last_used_at,
  t.user_id, t.team_id, t.created_by, u.id as owner_id, u.name as owner_name, u.email as owner_email,
  u.disabled_at as owner_disabled_at, tm.name as team_name, tm.slug as team_slug
from api_tokens t
left join users u on u.id = coalesce(t.user_id, t.created_by)
left join teams tm on tm.id = t.team_id
where t.token_hash = `;

const sqliteStatements = new WeakMap<object, { get(hash: string): unknown }>();

async function lookup(db: Db, hash: string): Promise<TokenLookupRow | undefined> {
  const sqlite = getSqliteReader(db);
  if (sqlite) {
    // better-sqlite3 directly, with the statement prepared once: the fastest path SQLite has.
    let statement = sqliteStatements.get(sqlite);
    if (!statement) {
      statement = sqlite.prepare(`${LOOKUP_SQL}?`);
      sqliteStatements.set(sqlite, statement);
    }
    return statement.get(hash) as TokenLookupRow | undefined;
  }
  const { rows } = await db.executeQuery<TokenLookupRow>(CompiledQuery.raw(`${LOOKUP_SQL}$1`, [hash]));
  return rows[0];
}

export type GetApiTokenByTokenOptions = {
  db: Db;
  clock: Clock;
  /** The token as the client sent it, already taken out of the header. */
  token: string;
  lastUsed?: LastUsedTracker;
};

/** The token's metadata and owner, or UNAUTHORIZED ("Invalid token" / "Expired token"). */
export async function getApiTokenByToken({ db, clock, token, lastUsed }: GetApiTokenByTokenOptions): Promise<VerifiedApiToken> {
  if (typeof token !== 'string' || !isWellFormedApiToken(token)) {
    throw new AppError(AppErrorCode.UNAUTHORIZED, { message: INVALID_TOKEN });
  }
  const row = await lookup(db, hashSecret(token));
  const now = clock.now();
  if (!row || (row.revoke_at !== null && row.revoke_at <= now)) {
    throw new AppError(AppErrorCode.UNAUTHORIZED, { message: INVALID_TOKEN });
  }
  if (row.expires_at !== null && row.expires_at <= now) {
    throw new AppError(AppErrorCode.UNAUTHORIZED, { message: EXPIRED_TOKEN });
  }
  if (row.user_id !== null && (row.owner_id === null || row.owner_disabled_at !== null)) {
    throw new AppError(AppErrorCode.UNAUTHORIZED, { message: INVALID_TOKEN });
  }
  lastUsed?.touch(row.id, row.last_used_at);

  return {
    id: row.id,
    name: row.name,
    start: row.start,
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: row.created_at,
    expiresAt: effectiveExpiry(row),
    lastUsedAt: row.last_used_at,
    owner: row.team_id !== null ? { kind: 'team', teamId: row.team_id } : { kind: 'user', userId: row.user_id! },
    createdById: row.created_by,
    user: row.owner_id === null ? null : { id: row.owner_id, name: row.owner_name!, email: row.owner_email! },
    team: row.team_id === null ? null : { id: row.team_id, name: row.team_name!, slug: row.team_slug! },
  };
}
