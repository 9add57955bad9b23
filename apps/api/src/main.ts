// Starts the server: config → database → migrations → runtime (createLatchkey) → listen; on
// SIGTERM/SIGINT it stops accepting, finishes requests in flight, closes the runtime (which writes
// pending usage) and then the database.
import type { AddressInfo } from 'node:net';
import { createDatabase, migrateToLatest, systemClock } from '@latchkey/lib';
import { createApp } from './app';
import { loadConfig } from './config';
import { createLogger } from './http/logger';
import { describeConfiguredDatabase, PROJECT_ROOT } from './project-root';
import { openRateLimitStore } from './http/rate-limit-store';
import { createServerLatchkey } from './server-latchkey';

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
  // The server makes its database when there is none, and migrates it (an embedder's runtime refuses both).
  const db = createDatabase(config.databaseUrl, { baseDir: PROJECT_ROOT });
  try {
    const applied = await migrateToLatest(db);
    if (applied.length) logger.info({ applied }, 'migrations applied');
  } catch (error) {
    console.error(`latchkey: cannot open or migrate the database (${database}): ${(error as Error).message}`);
    await db.destroy().catch(() => {});
    process.exit(1);
  }

  const clock = systemClock;
  const rateLimits = await openRateLimitStore({ config, clock, logger });
  const latchkey = await createServerLatchkey({ db, config, clock, logger, rateLimitStore: rateLimits.store });
  const app = createApp({ latchkey, config, logger });
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
    await latchkey.close();
    await rateLimits.close();
    await db.destroy();
    logger.info('stopped');
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

void main();
