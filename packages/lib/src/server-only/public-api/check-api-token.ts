// The request check, run on every API request: length and prefix, one SHA-256, the cache of
// verified tokens (api-token-cache.ts); only on a miss the checksum (no I/O) and then one indexed
// lookup; then expiry and owner, judged from the clock every time. A refusal is an answer
// (`{ ok: false, message }`, with the messages of API.md), not an exception: it is what a server
// sees most under attack, so it must cost next to nothing. `getApiTokenByToken` is the same check
// for callers who prefer an error.
import type { Db } from '../../db/create-database.js';
import { definePreparedQuery } from '../../db/prepared-query.js';
import { apiTokenCacheOf, knownApiTokenCache, type CachedTokenKeys } from './api-token-cache.js';
import type { PublicTeam, PublicUser } from '../../types/schemas.js';
import { allowedIpMatcher, type AllowedIpMatcher } from '../../universal/allowed-ips.js';
import { hasApiTokenShape, isWellFormedApiToken } from '../../universal/token-format.js';
import type { Clock } from '../clock.js';
import { hashSecret } from '../hash.js';
import { effectiveExpiry } from './api-token-metadata.js';
import type { RetiredTokenReuseDetector } from './detect-retired-token-reuse.js';
import type { LastUsedTracker, TokenUse } from './last-used-tracker.js';
import type { ActingApiToken } from './token-owner.js';

export type VerifiedApiToken = ActingApiToken & {
  name: string;
  start: string;
  lastUsedAt: number | null;
  /** The personal token's user, or the user who made a team token (null if deleted). */
  user: PublicUser | null;
  team: PublicTeam | null;
  /** Built once from `allowedIps` when the row is read and kept in the cache, so a request parses no range. */
  isAllowedIp: AllowedIpMatcher;
};

export const INVALID_TOKEN = 'Invalid token';
export const EXPIRED_TOKEN = 'Expired token';
export const MISSING_TOKEN = 'API token was not provided';

// One statement: the token row with its user (the owner, or a team token's maker) and team.
const LOOKUP = definePreparedQuery('api_token_lookup', (db, p: { hash: string }) =>
  db
    .selectFrom('api_tokens as t')
    .leftJoin('users as u', (join) => join.on((eb) => eb('u.id', '=', eb.fn.coalesce('t.user_id', 't.created_by'))))
    .leftJoin('teams as tm', 'tm.id', 't.team_id')
    .select(['t.id', 't.name', 't.start', 't.scopes', 't.expires_at', 't.revoke_at', 't.created_at', 't.last_used_at'])
    .select([
      't.user_id',
      't.team_id',
      't.created_by',
      'u.id as owner_id',
      'u.name as owner_name',
      'u.email as owner_email',
    ])
    .select(['u.disabled_at as owner_disabled_at', 'tm.name as team_name', 'tm.slug as team_slug', 't.allowed_ips'])
    .where('t.token_hash', '=', p.hash),
);

type TokenLookupRow = NonNullable<Awaited<ReturnType<typeof LOOKUP.first>>>;

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
  /** Records each accepted request: its last use, the hour's count, the client address (`ip`). */
  lastUsed?: LastUsedTracker;
  /** Told of every hash with no live token, to spot rotated-away tokens used again. */
  retiredTokens?: RetiredTokenReuseDetector;
  /**
   * The client's address and user agent: counted with an accepted request when `lastUsed` is given,
   * and named by a reuse event if the token was rotated away.
   */
  ip?: string | null;
  userAgent?: string | null;
};

/**
 * `{ ok: true, token }` with the token's metadata and owner, or `{ ok: false, message }` with
 * "Invalid token" (malformed, unknown, deleted, rotated out, owner disabled) or "Expired token".
 * The promise rejects only when the database fails. Not an `async` function, so that a refusal
 * costs no promise machinery.
 */
export function checkApiToken(options: CheckApiTokenOptions): Promise<ApiTokenCheck> {
  try {
    const { token } = options;
    if (typeof token !== 'string' || !hasApiTokenShape(token)) return REFUSED_UNREAD;
    return lookUp(options, hashSecret(token));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * The same check as far as it goes without I/O: the verdict when the cache (or the token's form)
 * gives it, an accepted request counted in `lastUsed` as `checkApiToken` counts it; otherwise a
 * miss, which `checkApiTokenAfterMiss` finishes from the database without hashing the token again.
 * A caller that knows the owner at once can count the owner's limit in the same round trip to a
 * shared store as the client's address (the REST API does).
 */
export function checkCachedApiToken(options: CheckApiTokenOptions): ApiTokenCheck | CacheMiss {
  const { db, token } = options;
  if (typeof token !== 'string' || !hasApiTokenShape(token)) return INVALID;
  const hash = hashSecret(token);
  const known = knownApiTokenCache<CachedApiToken>(db);
  const cached = known && !db.isTransaction && known.readiness() === true ? known.get(hash) : undefined;
  if (cached) return verify(cached, options, hash);
  return isWellFormedApiToken(token) ? { hash } : INVALID;
}

/** What `checkCachedApiToken` answers when the database must be asked (a well-formed token). */
export type CacheMiss = { readonly ok?: undefined; readonly hash: string };

/** Finishes a check `checkCachedApiToken` could not answer from the cache. */
export function checkApiTokenAfterMiss(options: CheckApiTokenOptions, miss: CacheMiss): Promise<ApiTokenCheck> {
  try {
    return lookUp(options, miss.hash, true);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** The check from the hash on; `wellFormed` when the token's checksum was already found right. */
function lookUp(options: CheckApiTokenOptions, hash: string, wellFormed = false): Promise<ApiTokenCheck> {
  const { db, token } = options;
  // Only hashes of stored tokens are cached, and every stored token is well-formed: a cached hash
  // needs no checksum. The checksum keeps everything else away from the database.
  const known = knownApiTokenCache<CachedApiToken>(db);
  const cached = known?.get(hash);
  if (!cached && !wellFormed && !isWellFormedApiToken(token)) return REFUSED_UNREAD;
  const cache = known ?? apiTokenCacheOf<CachedApiToken>(db);
  // Inside a transaction the lookup may see rows that never commit: nothing is cached from there.
  if (!cache || db.isTransaction)
    return LOOKUP.first(db, { hash }).then((row) => verify(row && toCached(row), options, hash));
  const ready = cache.readiness();
  if (ready === true) {
    if (cached) return Promise.resolve(verify(cached, options, hash));
  } else if (ready !== false) {
    return ready.then(() => lookUp(options, hash, wellFormed));
  }
  const generation = cache.generation;
  return LOOKUP.first(db, { hash }).then((row) => {
    // Unknown hashes are not kept: a flood of made-up tokens must not push out real ones.
    if (!row) return verify(undefined, options, hash);
    const found = toCached(row);
    // The usage record is made with the entry, so that the two sit together in memory and
    // counting a request reads no far-away object (measured: up to 0.1 µs a check otherwise).
    if (options.lastUsed) found.use = options.lastUsed.useOf(found.id);
    if (ready) cache.add(hash, found, generation);
    return verify(found, options, hash);
  });
}

/** A found token as the cache keeps it: the facts, and the answer to give while they hold. */
type CachedApiToken = CachedTokenKeys & {
  expiresAt: number | null;
  revokeAt: number | null;
  /** A personal token whose user is gone or disabled. */
  ownerRefused: boolean;
  /** What the database holds, or will once the pending uses are written. */
  lastUsedAt: number | null;
  /** The usage tracker's record of the token, kept here so that counting a request looks nothing up. */
  use: TokenUse | undefined;
  accepted: { ok: true; token: VerifiedApiToken };
};

function toCached(row: TokenLookupRow): CachedApiToken {
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
  return {
    id: row.id,
    userId: row.user_id,
    teamId: row.team_id,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    revokeAt: row.revoke_at,
    ownerRefused: row.user_id !== null && (row.owner_id === null || row.owner_disabled_at !== null),
    lastUsedAt: row.last_used_at,
    use: undefined,
    accepted: { ok: true, token },
  };
}

/** The verdict, from the cached facts and the clock, on every request. */
function verify(cached: CachedApiToken | undefined, options: CheckApiTokenOptions, hash: string): ApiTokenCheck {
  const { clock, lastUsed } = options;
  const now = clock.now();
  if (!cached || (cached.revokeAt !== null && cached.revokeAt <= now)) {
    // The miss path only: a rotated-away token presented again is looked up among retired hashes.
    options.retiredTokens?.noteMiss(hash, options);
    return INVALID;
  }
  if (cached.expiresAt !== null && cached.expiresAt <= now) return EXPIRED;
  if (cached.ownerRefused) return INVALID;
  // The token shows the last use stored before this request, as a lookup of the row would. (Fields
  // of the long-lived entry are written only when they change.)
  const { token } = cached.accepted;
  if (token.lastUsedAt !== cached.lastUsedAt) token.lastUsedAt = cached.lastUsedAt;
  if (lastUsed) {
    let use = cached.use;
    if (use === undefined || use.tracker !== lastUsed) use = cached.use = lastUsed.useOf(cached.id);
    const next = lastUsed.record(use, now, cached.lastUsedAt, options.ip ?? 'unknown', options.userAgent);
    if (next !== cached.lastUsedAt) cached.lastUsedAt = next;
  }
  return cached.accepted;
}

type AddressLimit = { readonly allowedIps: readonly string[]; readonly isAllowedIp: AllowedIpMatcher };

const ANY_ADDRESS: AddressLimit = Object.freeze({ allowedIps: Object.freeze([]), isAllowedIp: allowedIpMatcher([]) });

/**
 * Parsed address limits by their stored text. A matcher's answer depends only on the list, and
 * tokens often share one (an office's ranges), so they share its parse, matcher and memory. A token
 * with a list of its own still gets its own: this map only saves work, at most `MAX_SHARED` lists.
 */
const sharedAddressLimits = new Map<string, AddressLimit>();
const MAX_SHARED = 10_000;

function allowedIpsOf(stored: string): AddressLimit {
  // Most tokens have no address limit: no parse, one shared matcher.
  if (stored === '[]') return ANY_ADDRESS;
  let limit = sharedAddressLimits.get(stored);
  if (limit === undefined) {
    const allowedIps = Object.freeze(JSON.parse(stored) as string[]);
    limit = Object.freeze({ allowedIps, isAllowedIp: allowedIpMatcher(allowedIps) });
    if (sharedAddressLimits.size >= MAX_SHARED) sharedAddressLimits.clear();
    sharedAddressLimits.set(stored, limit);
  }
  return limit;
}
