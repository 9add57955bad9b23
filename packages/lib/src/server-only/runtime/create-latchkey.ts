// createLatchkey(deps): everything a process needs to check and manage tokens, built explicitly from
// what it is given and returned, so nothing lives in module state or on the database object: the
// token cache and its revocation watcher, the limiter, the usage recorder, the retired-token reuse
// detector, the hourly purges, and over them the one verifier. The server (apps/api) builds one and
// hands it to createApp and the CLI; a service that embeds Latchkey builds its own.
import type { Db } from '../../db/create-database.js';
import { createDatabase } from '../../db/create-database.js';
import { pendingMigrations } from '../../db/migrations.js';
import { createScopeSet, type ScopeSet } from '../../universal/scopes.js';
import { purgeUsageAndAudit } from '../audit/purge-usage-and-audit.js';
import { systemClock, type Clock } from '../clock.js';
import { createApiToken, type CreateApiTokenOptions } from '../public-api/create-api-token.js';
import { deleteApiTokenById } from '../public-api/delete-api-token-by-id.js';
import { createRetiredTokenReuseDetector } from '../public-api/detect-retired-token-reuse.js';
import { getApiTokenById } from '../public-api/get-api-token-by-id.js';
import { getApiTokens, type GetApiTokensOptions } from '../public-api/get-api-tokens.js';
import { purgeRevokedApiTokens } from '../public-api/purge-revoked-api-tokens.js';
import { rotateApiToken, type RotateApiTokenOptions } from '../public-api/rotate-api-token.js';
import type { ApiTokenActor } from '../public-api/token-owner.js';
import { MemoryRateLimitStore, RateLimiter, type RateLimitStore } from '../rate-limit/rate-limiter.js';
import { RedisRateLimitStore } from '../rate-limit/redis-rate-limit-store.js';
import { watchRevocations } from './revocation-watcher.js';
import { createRequireToken } from './require-token.js';
import { ApiTokenCache, subscribeToRevocations } from './token-cache.js';
import { createUsageRecorder } from './usage-recorder.js';
import { createVerifier, type VerifierLimits, type VerifyOptions } from './verifier.js';

export const DEFAULT_TOKEN_CACHE_SIZE = 100_000;
const HOUR_MS = 60 * 60_000;

/** Where the runtime reports what goes wrong in the background; it carries on by itself. */
export type LatchkeyLog = {
  error?(message: string, error: unknown): void;
  warn?(message: string, error?: unknown): void;
  info?(message: string): void;
};

export type LatchkeyDeps = {
  /** A database from `createDatabase` (the caller closes it), or its URL (opened here, closed by `close()`). */
  database: Db | string;
  /** Resolves a relative SQLite path in `database`; the current directory by default. */
  baseDir?: string;
  /**
   * The product's scopes, added to the built-in ones (a name that is not a scope name throws), or a scope set
   * made by `createScopeSet(names, descriptions)` (the server passes the one its configuration built).
   */
  scopes?: readonly string[] | ScopeSet;
  clock?: Clock;
  /** Where the limits are counted: a store of your own, else Redis at `redisUrl`, else this process's memory. */
  rateLimitStore?: RateLimitStore;
  redisUrl?: string;
  redisKeyPrefix?: string;
  limits?: Partial<VerifierLimits>;
  /** false: no use of a token is recorded (lastUsedAt, usage, recent addresses); for measurements. */
  usageRecording?: boolean;
  /** How often recorded uses are written; 30 s by default. */
  usageFlushIntervalMs?: number;
  /** The most verified tokens kept in memory; 100,000 by default. */
  tokenCacheSize?: number;
  /** TOKEN_MAX_LIFETIME_DAYS for `tokens.create` and `tokens.rotate`. */
  instanceMaxLifetimeDays?: number | null;
  /** TOKEN_MAX_PER_OWNER for `tokens.create`. */
  maxTokensPerOwner?: number;
  /** Retention of usage and audit events for the hourly purge; null: no purge runs here. */
  retention?: { usageDays: number; auditDays: number } | null;
  log?: LatchkeyLog;
};

/** The token operations, with the runtime's database, clock, scopes and instance limits filled in. */
type Bound<O> = Omit<O, 'db' | 'clock' | 'allowedScopes' | 'instanceMaxLifetimeDays' | 'maxTokensPerOwner'>;

export async function createLatchkey(deps: LatchkeyDeps) {
  // First: a bad product scope stops here, before anything is opened.
  const scopeSet = deps.scopes === undefined || Array.isArray(deps.scopes) ? createScopeSet(deps.scopes) : deps.scopes;
  const scopes = (scopeSet as ScopeSet).names;
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? {};
  const ownsDb = typeof deps.database === 'string';
  // Never an empty database made by accident: a SQLite file must already exist.
  const db =
    typeof deps.database === 'string'
      ? createDatabase(deps.database, { baseDir: deps.baseDir, mustExist: true })
      : deps.database;
  const closers: Array<() => unknown> = [];
  const close = async () => {
    for (const step of closers.splice(0).reverse()) await step();
  };
  if (ownsDb) closers.push(() => db.destroy());
  try {
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      throw new Error(
        `This database does not have Latchkey's schema, or not all of it ` +
          `(pending migrations: ${pending.join(', ')}): ` +
          'run `latchkey migrate` against it first',
      );
    }

    const cache = new ApiTokenCache(db, deps.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE);
    closers.push(subscribeToRevocations(db, cache));
    const watcher = watchRevocations({
      db,
      cache,
      onError: (error, what) =>
        log.warn?.(`token revocation ${what} failed; the cache is dropped or bypassed until it recovers`, error),
      onRecovered: () => log.info?.('token revocation listener is back'),
    });
    closers.push(() => watcher.stop());

    let store = deps.rateLimitStore;
    if (!store && deps.redisUrl) {
      const redis = new RedisRateLimitStore({ url: deps.redisUrl, clock, keyPrefix: deps.redisKeyPrefix });
      await redis.connect();
      closers.push(() => redis.close());
      store = redis;
    }
    const rateLimitStore: RateLimitStore = store ?? new MemoryRateLimitStore(clock);
    const limiter = new RateLimiter(rateLimitStore, clock);

    const usage =
      deps.usageRecording === false
        ? null
        : createUsageRecorder({
            db,
            clock,
            flushIntervalMs: deps.usageFlushIntervalMs,
            onError: (error) => log.error?.('could not write token usage; will retry', error),
          });
    if (usage) closers.push(() => usage.close());
    const retiredTokens = createRetiredTokenReuseDetector({
      db,
      clock,
      onError: (error) => log.error?.('could not check a retired token', error),
    });
    closers.push(() => retiredTokens.settled());

    const verifier = createVerifier({
      db,
      clock,
      cache,
      limiter,
      limits: deps.limits,
      usage,
      retiredTokens,
      onError: (error) => log.error?.('could not record a refused address', error),
    });

    if (deps.retention !== null) {
      const { usageDays = 90, auditDays = 365 } = deps.retention ?? {};
      // Tokens whose rotation grace period has ended fail every check already; their rows go hourly.
      const purge = setInterval(() => {
        purgeRevokedApiTokens({ db, clock }).catch((error: unknown) =>
          log.error?.('could not purge rotated tokens', error),
        );
        purgeUsageAndAudit({ db, clock, usageRetentionDays: usageDays, auditRetentionDays: auditDays }).catch(
          (error: unknown) => log.error?.('could not purge old usage and audit events', error),
        );
      }, HOUR_MS);
      purge.unref();
      closers.push(() => clearInterval(purge));
    }

    // The cache serves from the first request: the revocation log has been read (by the watcher on
    // PostgreSQL, for the file's data_version on SQLite).
    await watcher.ready;
    const ready = cache.readiness();
    if (ready instanceof Promise) await ready;

    const limitsOfInstance = {
      instanceMaxLifetimeDays: deps.instanceMaxLifetimeDays ?? null,
      maxTokensPerOwner: deps.maxTokensPerOwner,
    };
    const tokens = {
      create: (options: Bound<CreateApiTokenOptions>) =>
        createApiToken({ ...options, db, clock, allowedScopes: scopes, ...limitsOfInstance } as CreateApiTokenOptions),
      list: (options: Bound<GetApiTokensOptions>) =>
        getApiTokens({
          ...options,
          db,
          clock,
          instanceMaxLifetimeDays: limitsOfInstance.instanceMaxLifetimeDays,
        } as GetApiTokensOptions),
      get: (options: ApiTokenActor & { id: number }) => getApiTokenById({ ...options, db, clock }),
      delete: (options: ApiTokenActor & { id: number }) => deleteApiTokenById({ ...options, db, clock }),
      rotate: (options: Bound<RotateApiTokenOptions>) =>
        rotateApiToken({
          ...options,
          db,
          clock,
          instanceMaxLifetimeDays: limitsOfInstance.instanceMaxLifetimeDays,
        } as RotateApiTokenOptions),
    };

    return {
      db,
      clock,
      /** Every scope a token may hold: the built-in ones, then the product's. */
      scopes,
      limiter,
      rateLimitStore,
      /** The verified-token cache (for inspection: its size, whether a hash is held). */
      cache,
      /** Records uses of tokens; null when `usageRecording` is false. */
      usage,
      /** Looks refused tokens up among rotated-away ones in the background; `settled()` waits for it. */
      retiredTokens,
      verifier,
      /** The one check: `{ ok: true, token }` or a refusal (see `Verdict`). */
      verify: (token: string | null | undefined, options?: VerifyOptions) => verifier.verify(token, options),
      /** Express-style middleware: a valid token holding every one of `scopes`, on `req.apiToken`. */
      requireToken: createRequireToken(verifier, (error) => log.error?.('token check failed', error)),
      tokens,
      /** Writes pending usage, stops the watcher and the purges, closes what it opened. */
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

export type Latchkey = Awaited<ReturnType<typeof createLatchkey>>;
