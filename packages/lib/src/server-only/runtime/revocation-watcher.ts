// Keeps this process's token cache in step with the revocations other servers make, where the
// database cannot tell the check itself (PostgreSQL; a SQLite file tells it through data_version):
// one LISTEN connection for notifications, which arrive within milliseconds of the commit, and a
// read of the revocation log every 500 ms as the safety net for a lost one. While neither has read
// the log within the last 0.9 s, the check does not trust its cache (see token-cache.ts), which
// is what bounds a revocation's delay at 1 s even when notifications are lost.
import { listenToChannel, needsChangeListener } from '../../db/change-signals.js';
import type { Db } from '../../db/create-database.js';
import { REVOCATION_CHANNEL } from '../public-api/invalidate-api-tokens.js';
import { type ApiTokenCache, type RevocationLogRow, WATCHED_FRESH_MS } from './token-cache.js';

export type RevocationWatcher = {
  /** Settles once the first read of the log is done (at once where no watcher is needed). */
  ready: Promise<void>;
  stop(): Promise<void>;
};

export type WatchRevocationsOptions = {
  db: Db;
  /** The cache to keep in step (the runtime's). */
  cache: ApiTokenCache;
  pollIntervalMs?: number;
  /** Names the listening connection for operators (`application_name`); defaults to latchkey-<pid>. */
  name?: string;
  /** Told when the listener is lost or a poll fails; the watcher carries on by itself. */
  onError?: (error: unknown, what: 'listener' | 'poll') => void;
  /** Told when the listener listens again after a loss. */
  onRecovered?: () => void;
};

export function watchRevocations(options: WatchRevocationsOptions): RevocationWatcher {
  const { db, cache } = options;
  if (!needsChangeListener(db)) return { ready: Promise.resolve(), stop: async () => {} };
  const pollEvery = options.pollIntervalMs ?? 500;
  cache.watchers++;
  let stopped = false;
  let lostOnce = false;

  async function poll() {
    const startedAt = performance.now();
    try {
      await cache.refresh();
      cache.freshUntil = Math.max(cache.freshUntil, startedAt + WATCHED_FRESH_MS);
    } catch (error) {
      options.onError?.(error, 'poll');
    }
  }

  const listener = listenToChannel(db, {
    channel: REVOCATION_CHANNEL,
    applicationName: options.name ?? `latchkey-${process.pid}`,
    onMessage(payload) {
      const row = parseRow(payload);
      if (row) cache.apply(row);
      else void poll();
    },
    onListening() {
      if (!lostOnce) return;
      // Whatever was sent while it was away is unknown: start over, then catch up on the log.
      cache.clear();
      void poll();
      options.onRecovered?.();
    },
    onLost(error) {
      lostOnce = true;
      cache.clear();
      options.onError?.(error, 'listener');
    },
  });

  const ready = poll();
  const timer = setInterval(() => void poll(), pollEvery);
  timer.unref();
  return {
    ready,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      cache.watchers--;
      await listener?.close();
    },
  };
}

function parseRow(payload: string): RevocationLogRow | undefined {
  try {
    const row = JSON.parse(payload) as Partial<RevocationLogRow>;
    if (typeof row.id !== 'number' || typeof row.ids !== 'string' || typeof row.created_at !== 'number')
      return undefined;
    if (row.kind !== 'tokens' && row.kind !== 'user' && row.kind !== 'team') return undefined;
    return row as RevocationLogRow;
  } catch {
    return undefined;
  }
}
