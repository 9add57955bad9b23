// The one check of a token, for every way a request can present one: the REST API, forward auth,
// introspection and an embedder's middleware all call `verify` and only translate its verdict.
// A refusal is a value (`{ ok: false, status, code, message, … }`, with the answers of API.md), never
// an exception: it is what a server sees most under attack, so it must cost next to nothing. The
// promise rejects only when the database or the limits' store fails.
//
// In order: the client's limit (its address, or the key an adapter names), one SHA-256, the cache of
// verified tokens (token-cache.ts); on a miss the checksum (no I/O), the attempt counted against the
// client's failure budget *before* the one indexed lookup (so parallel made-up tokens cannot get
// more lookups than the budget), and given back when the token is valid. Lookups of one hash share
// one query. Then expiry and owner (judged from the clock every time), the owner's limit, the
// token's address list and the scopes asked for. What watches requests (usage recording, reuse
// detection, address-refusal events) is told of the verdict and never changes it.
import type { Db } from '../../db/create-database.js';
import { definePreparedQuery } from '../../db/prepared-query.js';
import { DEFAULT_MESSAGES } from '../../errors/app-error.js';
import type { PublicTeam, PublicUser } from '../../types/schemas.js';
import { allowedIpMatcher, type AllowedIpMatcher } from '../../universal/allowed-ips.js';
import { isWellFormedApiToken } from '../../universal/token-format.js';
import { clientAddress } from '../client-address.js';
import type { Clock } from '../clock.js';
import { hashSecret } from '../hash.js';
import { effectiveExpiry } from '../public-api/api-token-metadata.js';
import type { RetiredTokenReuseDetector } from '../public-api/detect-retired-token-reuse.js';
import { IP_REFUSAL_REPORT_INTERVAL_MS, recordIpRefusal } from '../public-api/record-ip-refusal.js';
import { ownerKey, type ActingApiToken } from '../public-api/token-owner.js';
import {
  shownLimit,
  withLimit,
  type RateLimiter,
  type RateLimitResult,
  type RateLimitRule,
} from '../rate-limit/rate-limiter.js';
import type { ApiTokenCache, CachedTokenKeys } from './token-cache.js';
import type { UsageRecorder } from './usage-recorder.js';

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
export const ADDRESS_NOT_ALLOWED = 'This token may not be used from this address';

export type VerifyAccepted = {
  readonly ok: true;
  readonly token: VerifiedApiToken;
  /** The counted limit with the least room, for `X-RateLimit-*` (absent when nothing was counted). */
  readonly rateLimit?: RateLimitResult;
};

export type VerifyRefusal = {
  readonly ok: false;
  readonly status: 401 | 403 | 429;
  readonly code: 'UNAUTHORIZED' | 'FORBIDDEN' | 'TOO_MANY_REQUESTS';
  /** The `message` of the JSON error body. */
  readonly message: string;
  /** 429: whole seconds until the limit's window ends (`Retry-After`). */
  readonly retryAfter?: number;
  /** 401: the `WWW-Authenticate` header to send. */
  readonly wwwAuthenticate?: string;
  /** The counted limit with the least room (or the one exceeded), for `X-RateLimit-*`. */
  readonly rateLimit?: RateLimitResult;
  /** The token, when it is valid and was refused for its owner's limit, its address list or its scopes. */
  readonly token?: VerifiedApiToken;
};

export type Verdict = VerifyAccepted | VerifyRefusal;

export type VerifyOptions = {
  /** The client's address (any spelling, normalised here): for `allowedIps`, usage, events and per-address limits. */
  ip?: string | null;
  userAgent?: string | null;
  /** Every one of these is required (403 naming the missing ones). */
  scopes?: readonly string[];
  /**
   * Who the per-client limit counts. By default the client's address (an IPv6 client by its /64):
   * `ipPerMinute` requests and `authFailuresPerMinute` failed attempts a minute. A caller that is
   * itself authenticated (introspection's service client) names its own key and limit instead, with
   * no failure budget, so that the bad tokens its users send cannot lock it out; `'none'` counts no
   * client (the owner's limit still applies).
   */
  limitBy?: { key: string; perMinute: number } | 'none';
  /**
   * Whether to hold `ip` against the token's `allowedIps` (true by default). Introspection passes
   * false when its caller named no `client_ip`: the address it sees is the service's, not the user's.
   */
  checkAddress?: boolean;
};

export type VerifierLimits = { ipPerMinute: number; ownerPerMinute: number; authFailuresPerMinute: number };

export const DEFAULT_VERIFIER_LIMITS: VerifierLimits = {
  ipPerMinute: 1000,
  ownerPerMinute: 1000,
  authFailuresPerMinute: 30,
};

export type VerifierDeps = {
  db: Db;
  clock: Clock;
  /** Verified tokens kept in memory; null: every check reads the database. */
  cache: ApiTokenCache | null;
  /** Counts the limits; null: no limit is counted. */
  limiter: RateLimiter | null;
  limits?: Partial<VerifierLimits>;
  /** Told of every request whose token is valid; null: no use is recorded. */
  usage?: UsageRecorder | null;
  /** Told of every hash with no live token, to spot rotated-away tokens used again. */
  retiredTokens?: RetiredTokenReuseDetector | null;
  /** Told when a `token.ip_refused` event could not be written. */
  onError?: (error: unknown, what: string) => void;
};

export type Verifier = {
  /** `token`: as the client sent it (out of its header); undefined or null when none was sent. */
  verify(token: string | null | undefined, options?: VerifyOptions): Promise<Verdict>;
  /**
   * Counts a request that presents no token (a public route, a 404) against its address, and checks
   * the address's failure budget: `{ ok: true, rateLimit }` or a 429 refusal.
   */
  limitClient(ip: string | null | undefined): Promise<{ ok: true; rateLimit?: RateLimitResult } | VerifyRefusal>;
  /** Counts, as failed, a request whose token was accepted and which was then answered 4xx or 5xx. */
  failed(token: VerifiedApiToken): void;
};

/** What the per-address limits count a request without an address under. */
export const UNKNOWN_LIMIT_KEY = 'unknown';
const MINUTE = 60_000;

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

/** A found token as the cache keeps it: the facts, judged again on every request. */
type CachedApiToken = CachedTokenKeys & {
  expiresAt: number | null;
  revokeAt: number | null;
  /** A personal token whose user is gone or disabled. */
  ownerRefused: boolean;
  /** What the database holds, or will once the pending uses are written. */
  lastUsedAt: number | null;
  token: VerifiedApiToken;
};

type AddressLimit = { readonly allowedIps: readonly string[]; readonly isAllowedIp: AllowedIpMatcher };
const ANY_ADDRESS: AddressLimit = Object.freeze({ allowedIps: Object.freeze([]), isAllowedIp: allowedIpMatcher([]) });
/** Address lists shared by their stored text (tokens often share an office's ranges), at most this many. */
const MAX_SHARED_ADDRESS_LISTS = 10_000;

const NO_OPTIONS: VerifyOptions = Object.freeze({});

export function createVerifier(deps: VerifierDeps): Verifier {
  const { db, clock, cache, limiter, usage, retiredTokens } = deps;
  const limits = { ...DEFAULT_VERIFIER_LIMITS, ...deps.limits };
  const ipRule: RateLimitRule = { name: 'api-ip', limit: limits.ipPerMinute, windowMs: MINUTE };
  const ownerRule: RateLimitRule = { name: 'api-owner', limit: limits.ownerPerMinute, windowMs: MINUTE };
  const failureRule: RateLimitRule = {
    name: 'api-auth-failures',
    limit: limits.authFailuresPerMinute,
    windowMs: MINUTE,
  };
  const serviceRules = new Map<number, RateLimitRule>();

  // Lookups under way by token hash: a request presenting the same token meanwhile waits for it and
  // then finds the token in the cache, instead of counting an attempt and asking the database again.
  const lookups = new Map<string, Promise<unknown>>();
  const addressLists = new Map<string, AddressLimit>();
  // When this verifier last asked for a `token.ip_refused` event, per token: one write a minute at most.
  const lastIpRefusal = new Map<number, number>();

  function allowedIpsOf(stored: string): AddressLimit {
    // Most tokens have no address limit: no parse, one shared matcher.
    if (stored === '[]') return ANY_ADDRESS;
    let limit = addressLists.get(stored);
    if (limit === undefined) {
      const allowedIps = Object.freeze(JSON.parse(stored) as string[]);
      limit = Object.freeze({ allowedIps, isAllowedIp: allowedIpMatcher(allowedIps) });
      if (addressLists.size >= MAX_SHARED_ADDRESS_LISTS) addressLists.clear();
      addressLists.set(stored, limit);
    }
    return limit;
  }

  function toEntry(row: TokenLookupRow): CachedApiToken {
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
      token,
    };
  }

  /** The cached entry of `hash` when the cache may serve now, without I/O; undefined otherwise. */
  function fromCache(hash: string): CachedApiToken | undefined {
    return cache && cache.readiness() === true ? (cache.get(hash) as CachedApiToken | undefined) : undefined;
  }

  /** Reads the token from the database, storing it in the cache when the cache may hold it. */
  async function lookUp(hash: string): Promise<CachedApiToken | undefined> {
    if (!cache) return LOOKUP.first(db, { hash }).then((row) => row && toEntry(row));
    const ready = cache.readiness();
    if (ready !== true && ready !== false) {
      await ready;
      return lookUp(hash);
    }
    const known = ready ? (cache.get(hash) as CachedApiToken | undefined) : undefined;
    if (known) return known;
    const generation = cache.generation;
    const row = await LOOKUP.first(db, { hash });
    // Unknown hashes are not kept: a flood of made-up tokens must not push out real ones.
    if (!row) return undefined;
    const entry = toEntry(row);
    if (ready) cache.add(hash, entry, generation);
    return entry;
  }

  /** Expiry, grace period and owner, from the facts and the clock: the live entry, or the refusal's message. */
  function judge(
    entry: CachedApiToken | undefined,
    hash: string,
    now: number,
    options: VerifyOptions,
  ): CachedApiToken | string {
    if (!entry || (entry.revokeAt !== null && entry.revokeAt <= now)) {
      // A rotated-away token presented again is looked up among retired hashes (not waited for).
      retiredTokens?.noteMiss(hash, options);
      return INVALID_TOKEN;
    }
    if (entry.expiresAt !== null && entry.expiresAt <= now) return EXPIRED_TOKEN;
    if (entry.ownerRefused) return INVALID_TOKEN;
    return entry;
  }

  /** Notes the use (the token shows the last use stored before this request) and returns the token. */
  function use(entry: CachedApiToken, now: number, options: VerifyOptions, ip: string | null): VerifiedApiToken {
    const { token } = entry;
    token.lastUsedAt = entry.lastUsedAt;
    if (usage) entry.lastUsedAt = usage.recordRequest(entry.id, now, entry.lastUsedAt, ip, options.userAgent);
    return token;
  }

  function tooMany(limit: RateLimitResult, token?: VerifiedApiToken): VerifyRefusal {
    if (token) usage?.recordFailure(token.id);
    return {
      ok: false,
      status: 429,
      code: 'TOO_MANY_REQUESTS',
      message: DEFAULT_MESSAGES.TOO_MANY_REQUESTS,
      retryAfter: limit.retryAfterSeconds,
      rateLimit: limit,
      ...(token ? { token } : {}),
    };
  }

  function unauthorized(message: string, rateLimit: RateLimitResult | undefined): VerifyRefusal {
    const missing = message === MISSING_TOKEN;
    return {
      ok: false,
      status: 401,
      code: 'UNAUTHORIZED',
      message,
      wwwAuthenticate: missing ? 'Bearer realm="api"' : 'Bearer realm="api", error="invalid_token"',
      ...(rateLimit ? { rateLimit } : {}),
    };
  }

  function forbidden(message: string, token: VerifiedApiToken, rateLimit: RateLimitResult | undefined): VerifyRefusal {
    usage?.recordFailure(token.id);
    return { ok: false, status: 403, code: 'FORBIDDEN', message, token, ...(rateLimit ? { rateLimit } : {}) };
  }

  function reportIpRefusal(token: VerifiedApiToken, ip: string | null, userAgent: string | null | undefined) {
    const now = clock.now();
    const last = lastIpRefusal.get(token.id);
    if (last !== undefined && now - last < IP_REFUSAL_REPORT_INTERVAL_MS) return;
    if (lastIpRefusal.size >= 10_000) lastIpRefusal.clear();
    lastIpRefusal.set(token.id, now);
    recordIpRefusal({ db, clock, token, ip, userAgent: userAgent ?? null }).catch((error: unknown) => {
      // Losing one audit event must not change the 403; the next minute tries again.
      lastIpRefusal.delete(token.id);
      deps.onError?.(error, 'ip-refusal');
    });
  }

  /**
   * After the token's own check: its owner's limit (counted here unless `owner` was counted with the
   * client's), its address list, its scopes. Synchronous when the limits' store is (in memory).
   */
  function admit(
    token: VerifiedApiToken,
    options: VerifyOptions,
    ip: string | null,
    shown: RateLimitResult | undefined,
    owner?: RateLimitResult | null,
  ): Verdict | Promise<Verdict> {
    if (!owner && limiter) {
      return withLimit(limiter.hit(ownerRule, ownerKey(token.owner)), (counted) =>
        admit(token, options, ip, shown, counted),
      );
    }
    if (owner && !owner.allowed) return tooMany(owner, token);
    const rateLimit = owner ? shownLimit(shown, owner) : shown;
    if (options.checkAddress !== false && !token.isAllowedIp(ip ?? undefined)) {
      reportIpRefusal(token, ip, options.userAgent);
      return forbidden(ADDRESS_NOT_ALLOWED, token, rateLimit);
    }
    const scopes = options.scopes;
    if (scopes) {
      for (const needed of scopes) {
        if (token.scopes.includes(needed)) continue;
        const missing = scopes.filter((scope) => !token.scopes.includes(scope));
        return forbidden(`This token lacks the scope ${missing.join(', ')}`, token, rateLimit);
      }
    }
    return rateLimit ? { ok: true, token, rateLimit } : { ok: true, token };
  }

  function serviceRule(perMinute: number): RateLimitRule {
    let rule = serviceRules.get(perMinute);
    if (!rule) serviceRules.set(perMinute, (rule = { name: 'api-service', limit: perMinute, windowMs: MINUTE }));
    return rule;
  }

  /** What the per-client limit counts a request under; null when none is counted. */
  type Client = { rule: RateLimitRule; key: string; failures: boolean } | null;

  function clientOf(options: VerifyOptions, addressKey: string): Client {
    const by = options.limitBy;
    if (by === 'none' || !limiter) return null;
    if (by) return { rule: serviceRule(by.perMinute), key: by.key, failures: false };
    return { rule: ipRule, key: addressKey, failures: true };
  }

  /**
   * A 401 for a token that is missing, malformed or refused, counted against the client: the
   * request and then the failure, unless `counted` says the lookup counted them already.
   */
  function refuse(client: Client, message: string, counted?: RateLimitResult | null): Verdict | Promise<Verdict> {
    if (!client) return unauthorized(message, undefined);
    if (counted !== undefined) return unauthorized(message, counted ?? undefined);
    if (!client.failures) {
      return withLimit(limiter!.hit(client.rule, client.key), (request) =>
        request.allowed ? unauthorized(message, request) : tooMany(request),
      );
    }
    return withLimit(limiter!.hitAndCheck(client.rule, client.key, failureRule, client.key), ([request, failures]) => {
      if (!request.allowed) return tooMany(request);
      if (!failures.allowed) return tooMany(failures);
      return withLimit(limiter!.hit(failureRule, client.key), () => unauthorized(message, request));
    });
  }

  function verify(token: string | null | undefined, options: VerifyOptions = NO_OPTIONS): Promise<Verdict> {
    try {
      const verdict = check(token, options);
      return verdict instanceof Promise ? verdict : Promise.resolve(verdict);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** The verdict; at once (no promise) when the cache and the limits' store answer without I/O. */
  function check(token: string | null | undefined, options: VerifyOptions): Verdict | Promise<Verdict> {
    const address = options.ip ? clientAddress(options.ip) : null;
    const ip = address?.ip ?? null;
    const client = clientOf(options, address?.limitKey ?? UNKNOWN_LIMIT_KEY);

    if (token === undefined || token === null) return refuse(client, MISSING_TOKEN);
    // The format and checksum first: a made-up token is refused without a hash, the cache or the database.
    if (typeof token !== 'string' || !isWellFormedApiToken(token)) return refuse(client, INVALID_TOKEN);
    const hash = hashSecret(token);
    const now = clock.now();

    const cached = fromCache(hash);
    if (cached) {
      const judged = judge(cached, hash, now, options);
      if (typeof judged === 'string') return refuse(client, judged);
      const found = use(judged, now, options, ip);
      if (!client) return admit(found, options, ip, undefined);
      if (!client.failures) {
        return withLimit(
          limiter!.hitThenHit(client.rule, client.key, ownerRule, ownerKey(found.owner)),
          ([request, owner]) => (request.allowed ? admit(found, options, ip, request, owner) : tooMany(request, found)),
        );
      }
      // The address, its failure budget and the owner in one round trip to a shared store.
      return withLimit(
        limiter!.hitCheckThenHit(client.rule, client.key, failureRule, client.key, ownerRule, ownerKey(found.owner)),
        ([request, failures, owner]) => {
          if (!request.allowed) return tooMany(request, found);
          // Past the failure limit every request from the address waits, so a valid token cannot be
          // told apart from an invalid one by its answer.
          if (!failures.allowed) return tooMany(failures, found);
          return admit(found, options, ip, request, owner);
        },
      );
    }
    const pending = lookups.get(hash);
    if (pending) {
      // Another request is looking this token up: wait, then answer as if it had been found cached
      // (or count and look up as usual when the cache could not keep it).
      return pending.then(() => (fromCache(hash) ? check(token, options) : countThenLookUp(hash, options, ip, client)));
    }
    // Registered before anything is awaited, so that requests arriving meanwhile find it.
    const work = countThenLookUp(hash, options, ip, client);
    const forget = () => {
      if (lookups.get(hash) === shared) lookups.delete(hash);
    };
    const shared: Promise<void> = work.then(forget, forget);
    lookups.set(hash, shared);
    return work;
  }

  /** A token the cache does not hold: counted first (the client, then an attempt), then looked up. */
  async function countThenLookUp(
    hash: string,
    options: VerifyOptions,
    ip: string | null,
    client: Client,
  ): Promise<Verdict> {
    let attempt: RateLimitResult | null = null;
    let shown: RateLimitResult | null = null;
    if (client?.failures) {
      const [request, failures] = await limiter!.hitThenHit(client.rule, client.key, failureRule, client.key);
      if (!request.allowed) return tooMany(request);
      if (!failures!.allowed) return tooMany(failures!);
      attempt = failures;
      shown = request;
    } else if (client) {
      const request = await limiter!.hit(client.rule, client.key);
      if (!request.allowed) return tooMany(request);
      shown = request;
    }
    const now = clock.now();
    const judged = judge(await lookUp(hash), hash, now, options);
    if (typeof judged === 'string') return refuse(client, judged, shown);
    if (attempt && client) void limiter!.refund(failureRule, client.key, attempt);
    return admit(use(judged, now, options, ip), options, ip, shown ?? undefined);
  }

  return {
    verify,
    async limitClient(raw) {
      const key = raw ? clientAddress(raw).limitKey : UNKNOWN_LIMIT_KEY;
      if (!limiter) return { ok: true };
      const counted = await limiter.hit(ipRule, key);
      return counted.allowed ? { ok: true, rateLimit: counted } : tooMany(counted);
    },
    failed(token) {
      usage?.recordFailure(token.id);
    },
  };
}
