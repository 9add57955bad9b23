// An in-process Latchkey server for the reliability suites: the real `createApp` on 127.0.0.1 and a
// random port, logging at debug level into memory so a suite can prove no secret reached the log.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { systemClock, type Clock, type Db } from '@latchkey/lib';
import { createApp, type LatchkeyApp } from '../../../src/app';
import { defaultConfig, type Config } from '../../../src/config';
import { createLogger } from '../../../src/http/logger';
import { createServerLatchkey } from '../../../src/server-latchkey';

/** Limits no suite meets by accident; a suite about a limit sets its own. */
export const ROOMY_LIMITS: Config['rateLimits'] = {
  ipPerMinute: 1_000_000,
  ownerPerMinute: 1_000_000,
  authFailuresPerMinute: 1_000_000,
  trpcPerMinute: 1_000_000,
  signInFailures: 1_000_000,
  signInFailuresPerAccount: 1_000_000,
  credentialRevokePerHour: 100_000,
  servicePerMinute: 100_000,
};

/** Lines a logger wrote, kept in memory. */
export function createLogCapture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger('debug', stream), text: () => lines.join('') };
}

export type InProcessServer = {
  url: string;
  port: number;
  db: Db;
  app: LatchkeyApp;
  config: Config;
  /** Everything the server logged, at debug level. */
  logText(): string;
  close(): Promise<void>;
};

export async function startInProcessServer(options: {
  db: Db;
  clock?: Clock;
  rateLimits?: Partial<Config['rateLimits']>;
  /** A built web UI to serve; none by default. */
  webDist?: string | null;
}): Promise<InProcessServer> {
  const { db } = options;
  const clock = options.clock ?? systemClock;
  const capture = createLogCapture();
  const config = defaultConfig({ rateLimits: { ...ROOMY_LIMITS, ...options.rateLimits } });
  const latchkey = await createServerLatchkey({
    db,
    config,
    clock,
    logger: capture.logger,
    usageFlushIntervalMs: 1000,
  });
  const app = createApp({ latchkey, config, logger: capture.logger, webDist: options.webDist ?? null });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    db,
    app,
    config,
    logText: capture.text,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await latchkey.close();
    },
  };
}
