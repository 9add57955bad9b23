// The server's runtime: `createLatchkey` with what the configuration says (limits, usage recording,
// cache size, instance token rules, retention) and the server's log. main.ts, the CLI and the tests
// build theirs here, so every one of them checks tokens exactly as the server does.
import type { Logger } from 'pino';
import { createLatchkey, type Clock, type Db, type Latchkey, type RateLimitStore } from '@latchkey/lib';
import type { Config } from './config';

export type ServerLatchkeyDeps = {
  db: Db;
  config: Config;
  clock: Clock;
  logger: Logger;
  /** The Redis store when REDIS_URL is set (see rate-limit-store.ts); in memory otherwise. */
  rateLimitStore?: RateLimitStore;
  /** For tests: how often usage is written (30 s by default). */
  usageFlushIntervalMs?: number;
};

export function createServerLatchkey(deps: ServerLatchkeyDeps): Promise<Latchkey> {
  const { config, logger } = deps;
  return createLatchkey({
    database: deps.db,
    clock: deps.clock,
    // The scopes the configuration declares (TOKEN_SCOPES, TOKEN_SCOPES_FILE), with their descriptions.
    scopes: config.scopes,
    rateLimitStore: deps.rateLimitStore,
    limits: config.rateLimits,
    usageRecording: config.usageRecording,
    usageFlushIntervalMs: deps.usageFlushIntervalMs,
    tokenCacheSize: config.tokenCacheSize,
    instanceMaxLifetimeDays: config.tokenMaxLifetimeDays,
    maxTokensPerOwner: config.tokenMaxPerOwner,
    retention: { usageDays: config.usageRetentionDays, auditDays: config.auditRetentionDays },
    log: {
      error: (message, error) => logger.error({ err: error }, message),
      warn: (message, error) => logger.warn(error === undefined ? {} : { err: error }, message),
      info: (message) => logger.info(message),
    },
  });
}
