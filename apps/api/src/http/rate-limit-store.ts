// Where the server counts its rate limits: in Redis when REDIS_URL is set (one limit across every
// server), in memory otherwise. Redis going away and coming back is logged once each way.
import type { Logger } from 'pino';
import {
  MemoryRateLimitStore,
  parseDatabaseUrl,
  RedisRateLimitStore,
  type Clock,
  type RateLimitStore,
  type RedisRateLimitStatusChange,
} from '@latchkey/lib';
import type { Config } from '../config';

export type ServerRateLimitStore = { store: RateLimitStore; close(): Promise<void> };

/** host:port of a Redis URL, for the log: never its user name or password. */
function redisAddress(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port || '6379'}`;
}

export function logRedisStatus(logger: Logger, redis: string, change: RedisRateLimitStatusChange): void {
  const reason = change.error?.message;
  if (change.status === 'down') {
    logger.warn(
      { redis, reason },
      'Redis is unreachable: rate limits are counted by each server in memory until it answers again',
    );
  } else if (change.previous === 'down') {
    logger.warn({ redis }, 'Redis answers again: rate limits are shared by every server again');
  } else {
    logger.info({ redis }, 'rate limits are counted in Redis, shared by every server');
  }
}

/** Connects to Redis first when there is one; a Redis that does not answer does not stop the start. */
export async function openRateLimitStore({
  config,
  clock,
  logger,
}: {
  config: Config;
  clock: Clock;
  logger: Logger;
}): Promise<ServerRateLimitStore> {
  if (!config.redisUrl) {
    if (parseDatabaseUrl(config.databaseUrl).kind === 'postgres') {
      logger.info(
        'REDIS_URL is not set: rate limits are counted by each server on its own; ' +
          'set REDIS_URL to share them when several servers use this database',
      );
    }
    return { store: new MemoryRateLimitStore(clock), close: async () => {} };
  }
  const address = redisAddress(config.redisUrl);
  const store = new RedisRateLimitStore({
    url: config.redisUrl,
    clock,
    keyPrefix: config.redisKeyPrefix,
    onStatusChange: (change) => logRedisStatus(logger, address, change),
  });
  await store.connect();
  return { store, close: () => store.close() };
}
