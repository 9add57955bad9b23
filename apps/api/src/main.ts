// Starts the server: config → database → migrations → listen; on SIGTERM/SIGINT it stops accepting,
// finishes requests in flight, writes pending last-use times and closes the database.
import type { AddressInfo } from 'node:net';
import {
  createDatabase,
  createLastUsedTracker,
  migrateToLatest,
  purgeRevokedApiTokens,
  purgeUsageAndAudit,
  systemClock,
} from '@latchkey/lib';
import { createApp } from './app';
import { loadConfig } from './config';
import { createLogger } from './http/logger';
import { describeConfiguredDatabase, PROJECT_ROOT } from './project-root';
import { openRateLimitStore } from './http/rate-limit-store';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`latchkey: configuration error: ${(error as Error).message}`);
    process.exit(1);
  }
  // A person at a terminal reads lines; a log collector (stdout not a terminal) gets JSON lines.
  const logger = createLogger(config.logLevel, undefined, { pretty: process.stdout.isTTY === true });
  const database = describeConfiguredDatabase(config.databaseUrl);
  const db = createDatabase(config.databaseUrl, { baseDir: PROJECT_ROOT, tokenCacheSize: config.tokenCacheSize });
  try {
    const applied = await migrateToLatest(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
  } catch (error) {
    console.error(`latchkey: cannot open or migrate the database (${database}): ${(error as Error).message}`);
    await db.destroy().catch(() => {});
    process.exit(1);
  }

  const clock = systemClock;
  const lastUsed = createLastUsedTracker({
    db,
    clock,
    onError: (error) => logger.error({ err: error }, 'could not write last-use times; will retry'),
  });
  // Tokens whose rotation grace period has ended fail every check already; drop their rows hourly.
  const purge = setInterval(() => {
    purgeRevokedApiTokens({ db, clock }).catch((error: unknown) =>
      logger.error({ err: error }, 'could not purge rotated tokens'),
    );
    const { usageRetentionDays, auditRetentionDays } = config;
    purgeUsageAndAudit({ db, clock, usageRetentionDays, auditRetentionDays }).catch((error: unknown) =>
      logger.error({ err: error }, 'could not purge old usage and audit events'),
    );
  }, 60 * 60_000);
  purge.unref();
  const rateLimits = await openRateLimitStore({ config, clock, logger });
  const app = createApp({ db, config, clock, logger, lastUsed, rateLimitStore: rateLimits.store });
  const server = app.listen(config.port, config.host);
  server.on('error', (error: NodeJS.ErrnoException) => {
    const reason = error.code === 'EADDRINUSE' ? 'the port is in use' : error.message;
    console.error(`latchkey: cannot listen on port ${config.port}: ${reason}`);
    process.exit(1);
  });
  server.on('listening', () => {
    const { port } = server.address() as AddressInfo;
    logger.info({ port, database }, `Latchkey listening on http://localhost:${port}, database: ${database}`);
  });

  let stopping = false;
  async function shutdown(signal: string) {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      logger.error('requests still open after 10 s; closing them');
      server.closeAllConnections();
    }, 10_000);
    forced.unref();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    clearInterval(purge);
    await app.revocations.stop();
    await lastUsed.stop();
    await rateLimits.close();
    await db.destroy();
    logger.info('stopped');
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

void main();
