// The request check, run on every API request: format and checksum (no I/O), one SHA-256, one
// indexed lookup, then expiry and owner. A refusal is an answer (`{ ok: false, message }`, with the
// messages of API.md), not an exception: it is what a server sees most under attack, so it must cost
// next to nothing. `getApiTokenByToken` is the same check for callers who prefer an error.
import { CompiledQuery } from 'kysely';
import { getPostgresPool, getReaderStatement, isPostgres, type Db } from '../../db/create-database';
import type { PublicTeam, PublicUser } from '../../types/schemas';
import { allowedIpMatcher, type AllowedIpMatcher } from '../../universal/allowed-ips';
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
  /** Addresses or CIDR ranges it may be used from; [] = any. */
  allowedIps: readonly string[];
  /** Built once from `allowedIps` when the row is read, so the per-request check parses nothing twice. */
  isAllowedIp: AllowedIpMatcher;
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
  allowed_ips: string;
};

// One statement, written once: the token row with its user (the owner, or a team token's maker) and team.
const LOOKUP_SQL = `select t.id, t.name, t.start, t.scopes, t.expires_at, t.revoke_at, t.created_at, t.last_used_at,
  t.user_id, t.team_id, t.created_by, u.id as owner_id, u.name as owner_name, u.email as owner_email,
  u.disabled_at as owner_disabled_at, tm.name as team_name, tm.slug as team_slug, t.allowed_ips
from api_tokens t
left join users u on u.id = coalesce(t.user_id, t.created_by)
left join teams tm on tm.id = t.team_id
where t.token_hash = `;

const LOOKUP_STATEMENT_NAME = 'latchkey_api_token_lookup';

// The SQLite statement gives array rows in LOOKUP_SQL's column order; `fromColumns` builds the
// row as a plain literal, which V8 does far faster than better-sqlite3's named-key objects.
const SQLITE_LOOKUP_SQL = `${LOOKUP_SQL}?`;

function fromColumns(c: unknown[]): TokenLookupRow {
  return {
    id: c[0] as number,
    name: c[1] as string,
    start: c[2] as string,
    scopes: c[3] as string,
    expires_at: c[4] as number | null,
    revoke_at: c[5] as number | null,
    created_at: c[6] as number,
    last_used_at: c[7] as number | null,
    user_id: c[8] as number | null,
    team_id: c[9] as number | null,
    created_by: c[10] as number | null,
    owner_id: c[11] as number | null,
    owner_name: c[12] as string | null,
    owner_email: c[13] as string | null,
    owner_disabled_at: c[14] as number | null,
    team_name: c[15] as string | null,
    team_slug: c[16] as string | null,
    allowed_ips: c[17] as string,
  };
}

export type ApiTokenRefusal = { readonly ok: false; readonly message: typeof INVALID_TOKEN | typeof EXPIRED_TOKEN };
export type ApiTokenCheck = { ok: true; token: VerifiedApiToken } | ApiTokenRefusal;

const INVALID: ApiTokenRefusal = Object.freeze({ ok: false, message: INVALID_TOKEN });
const EXPIRED: ApiTokenRefusal = Object.freeze({ ok: false, message: EXPIRED_TOKEN });
// A malformed token needs no I/O, so every such refusal shares one settled promise.
const REFUSED_UNREAD = Object.freeze(Promise.resolve(INVALID));

export type CheckApiTokenOptions = {
  db: Db;
  clock: Clock;
  /** The token as the client sent it, already taken out of the header. */
  token: string;
  lastUsed?: LastUsedTracker;
};

/**
 * `{ ok: true, token }` with the token's metadata and owner, or `{ ok: false, message }` with
 * "Invalid token" (malformed, unknown, deleted, rotated out, owner disabled) or "Expired token".
 * The promise rejects only when the database fails. Not an `async` function, so that a refusal or a
 * SQLite lookup (synchronous) costs no extra promise machinery.
 */
export function checkApiToken(options: CheckApiTokenOptions): Promise<ApiTokenCheck> {
  try {
    const { db, clock, token, lastUsed } = options;
    if (typeof token !== 'string' || !isWellFormedApiToken(token)) return REFUSED_UNREAD;
    const hash = hashSecret(token);
    const sqlite = getReaderStatement(db, SQLITE_LOOKUP_SQL);
    if (sqlite) {
      const columns = sqlite.get(hash) as unknown[] | undefined;
      return Promise.resolve(verify(columns && fromColumns(columns), clock, lastUsed));
    }
    const pool = getPostgresPool(db);
    if (pool) {
      // A named statement: PostgreSQL parses and plans it once per connection, not on every request.
      return pool
        .query<TokenLookupRow>({ name: LOOKUP_STATEMENT_NAME, text: `${LOOKUP_SQL}$1`, values: [hash] })
        .then(({ rows }) => verify(rows[0], clock, lastUsed));
    }
    // Any other Kysely instance (a transaction, an in-memory SQLite database): the same statement.
    return db
      .executeQuery<TokenLookupRow>(CompiledQuery.raw(`${LOOKUP_SQL}${isPostgres(db) ? '$1' : '?'}`, [hash]))
      .then(({ rows }) => verify(rows[0], clock, lastUsed));
  } catch (error) {
    return Promise.reject(error);
  }
}

function verify(row: TokenLookupRow | undefined, clock: Clock, lastUsed: LastUsedTracker | undefined): ApiTokenCheck {
  const now = clock.now();
  if (!row || (row.revoke_at !== null && row.revoke_at <= now)) return INVALID;
  if (row.expires_at !== null && row.expires_at <= now) return EXPIRED;
  if (row.user_id !== null && (row.owner_id === null || row.owner_disabled_at !== null)) return INVALID;
  lastUsed?.touch(row.id, row.last_used_at);

  const token: VerifiedApiToken = {
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
    ...allowedIpsOf(row.allowed_ips),
  };
  return { ok: true, token };
}

const ANY_ADDRESS = Object.freeze({ allowedIps: Object.freeze([]) as readonly string[], isAllowedIp: allowedIpMatcher([]) });

function allowedIpsOf(stored: string): { allowedIps: readonly string[]; isAllowedIp: AllowedIpMatcher } {
  // Most tokens have no address limit: no parse, one shared matcher.
  if (stored === '[]') return ANY_ADDRESS;
  const allowedIps = JSON.parse(stored) as string[];
  return { allowedIps, isAllowedIp: allowedIpMatcher(allowedIps) };
}
