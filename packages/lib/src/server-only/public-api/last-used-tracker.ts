// Records when tokens are used without a database write per request: uses are kept in memory and
// written in one batch every `flushIntervalMs`, and on shutdown. A use is skipped when the stored
// time is recent enough, so `lastUsedAt` is accurate to within 60 seconds.
import type { Db } from '../../db/create-database';
import type { Clock } from '../clock';

export const LAST_USED_ACCURACY_MS = 60_000;

export type LastUsedTracker = {
  /**
   * Notes a use of the token; `storedLastUsedAt` is what the database held when it was read. Gives
   * what the database will hold once the pending uses are written (`storedLastUsedAt` when this use
   * is close enough to it to be skipped).
   */
  touch(tokenId: number, storedLastUsedAt: number | null): number | null;
  /** Writes pending uses now. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is pending. */
  stop(): Promise<void>;
  readonly pending: number;
};

export type LastUsedTrackerOptions = {
  db: Db;
  clock: Clock;
  flushIntervalMs?: number;
  /** Told when a batch could not be written; the batch is kept and tried again at the next flush. */
  onError?: (error: unknown) => void;
};

export function createLastUsedTracker({ db, clock, flushIntervalMs = LAST_USED_ACCURACY_MS / 2, onError }: LastUsedTrackerOptions): LastUsedTracker {
  let pending = new Map<number, number>();
  let flushing: Promise<void> = Promise.resolve();
  const skipWithin = LAST_USED_ACCURACY_MS - flushIntervalMs;

  async function write(batch: Map<number, number>) {
    const entries = [...batch];
    for (let i = 0; i < entries.length; i += 500) {
      const chunk = entries.slice(i, i + 500);
      const ids = chunk.map(([id]) => id);
      await db
        .updateTable('api_tokens')
        .set((eb) => {
          // The cast types the parameters: PostgreSQL would otherwise read them as text and refuse the update.
          const time = (at: number) => eb.cast<number>(eb.val(at), 'bigint');
          const [[firstId, firstAt], ...others] = chunk as [[number, number], ...Array<[number, number]>];
          let cases = eb.case().when('id', '=', firstId).then(time(firstAt));
          for (const [id, at] of others) cases = cases.when('id', '=', id).then(time(at));
          const used = cases.end();
          // Several servers write the same token's time: a batch never moves it backwards.
          const newer = eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', used)]);
          return { last_used_at: eb.case().when(newer).then(used).else(eb.ref('last_used_at')).end() };
        })
        .where('id', 'in', ids)
        .execute();
    }
  }

  const tracker: LastUsedTracker = {
    touch(tokenId, storedLastUsedAt) {
      const now = clock.now();
      // A use already pending only moves to the later time.
      if (!pending.has(tokenId) && storedLastUsedAt !== null && now - storedLastUsedAt < skipWithin) return storedLastUsedAt;
      pending.set(tokenId, now);
      return now;
    },
    flush() {
      if (pending.size === 0) return flushing;
      const batch = pending;
      pending = new Map();
      flushing = flushing.then(() => write(batch)).catch((error: unknown) => {
        onError?.(error);
        // Keep what could not be written for the next try, unless newer uses replaced it.
        for (const [id, at] of batch) if (!pending.has(id)) pending.set(id, at);
      });
      return flushing;
    },
    async stop() {
      clearInterval(timer);
      await tracker.flush();
    },
    get pending() {
      return pending.size;
    },
  };
  const timer = setInterval(() => void tracker.flush(), flushIntervalMs);
  timer.unref();
  return tracker;
}
