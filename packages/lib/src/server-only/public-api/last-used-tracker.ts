// Records how tokens are used without a database write per request: `lastUsedAt`, hourly counts of
// requests and failures, and the last distinct client addresses are kept in memory and written in
// one transaction every `flushIntervalMs`, and on shutdown. A last-use time is skipped when the
// stored one is recent enough, so `lastUsedAt` is accurate to within 60 seconds. Counts are added
// to the stored ones (one upsert row per token and hour), so every server's counts add up, and a
// batch that cannot be written is kept, whole, for the next flush.
import type { Db } from '../../db/create-database';
import type { Clock } from '../clock';

export const LAST_USED_ACCURACY_MS = 60_000;
export const HOUR_MS = 60 * 60 * 1000;
/** How many distinct client addresses are kept per token. */
export const RECENT_IPS_KEPT = 5;
// Rows per statement: well under SQLite's and PostgreSQL's limits on parameters.
const CHUNK = 500;

export type LastUsedTracker = {
  /**
   * Notes a use of the token; `storedLastUsedAt` is what the database held when it was read. Gives
   * what the database will hold once the pending uses are written (`storedLastUsedAt` when this use
   * is close enough to it to be skipped).
   */
  touch(tokenId: number, storedLastUsedAt: number | null): number | null;
  /** Counts a request that presented the token and passed the check, from `ip`. */
  count(tokenId: number, ip: string, userAgent: string | undefined): void;
  /** Counts, as failed, a request `count` saw that was then answered 4xx or 5xx. */
  fail(tokenId: number): void;
  /** Writes everything pending now. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is pending. */
  stop(): Promise<void>;
  /** How many tokens have something not yet written. */
  readonly pending: number;
};

export type LastUsedTrackerOptions = {
  db: Db;
  clock: Clock;
  flushIntervalMs?: number;
  /** Told when a batch could not be written; the batch is kept and tried again at the next flush. */
  onError?: (error: unknown) => void;
};

type RecentIp = { ip: string; userAgent: string | null; at: number };

/** One token's counts in one hour, changed in place by every request. */
type UsageCounter = { tokenId: number; hourStart: number; requests: number; failed: number; ips: RecentIp[] };

type Batch = { lastUsed: Map<number, number>; counters: UsageCounter[] };

export function createLastUsedTracker({
  db,
  clock,
  flushIntervalMs = LAST_USED_ACCURACY_MS / 2,
  onError,
}: LastUsedTrackerOptions): LastUsedTracker {
  let lastUsed = new Map<number, number>();
  // The current hour's counter of each token; `closed` holds counters whose hour has passed.
  let current = new Map<number, UsageCounter>();
  let closed: UsageCounter[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const skipWithin = LAST_USED_ACCURACY_MS - flushIntervalMs;

  function counterOf(tokenId: number, now: number): UsageCounter {
    const hourStart = now - (now % HOUR_MS);
    let counter = current.get(tokenId);
    if (counter === undefined || counter.hourStart !== hourStart) {
      if (counter !== undefined) closed.push(counter);
      counter = { tokenId, hourStart, requests: 0, failed: 0, ips: [] };
      current.set(tokenId, counter);
    }
    return counter;
  }

  const tracker: LastUsedTracker = {
    touch(tokenId, storedLastUsedAt) {
      const now = clock.now();
      // A use already pending only moves to the later time.
      if (!lastUsed.has(tokenId) && storedLastUsedAt !== null && now - storedLastUsedAt < skipWithin)
        return storedLastUsedAt;
      lastUsed.set(tokenId, now);
      return now;
    },
    count(tokenId, ip, userAgent) {
      const now = clock.now();
      const counter = counterOf(tokenId, now);
      counter.requests += 1;
      // At most five entries: a linear scan beats any lookup structure, and allocates nothing
      // unless the address is new to this token this hour.
      const ips = counter.ips;
      let oldest = 0;
      for (let i = 0; i < ips.length; i++) {
        const seen = ips[i]!;
        if (seen.ip === ip) {
          seen.at = now;
          seen.userAgent = userAgent ?? null;
          return;
        }
        if (seen.at < ips[oldest]!.at) oldest = i;
      }
      const entry = { ip, userAgent: userAgent ?? null, at: now };
      if (ips.length < RECENT_IPS_KEPT) ips.push(entry);
      else ips[oldest] = entry;
    },
    fail(tokenId) {
      counterOf(tokenId, clock.now()).failed += 1;
    },
    flush() {
      if (lastUsed.size === 0 && current.size === 0 && closed.length === 0) return flushing;
      const batch: Batch = { lastUsed, counters: [...closed, ...current.values()] };
      lastUsed = new Map();
      current = new Map();
      closed = [];
      flushing = flushing
        .then(() => writeBatch(db, batch))
        .catch((error: unknown) => {
          onError?.(error);
          // Keep what could not be written for the next try: newer last-use times win, counts add.
          for (const [id, at] of batch.lastUsed) if (!lastUsed.has(id)) lastUsed.set(id, at);
          closed.unshift(...batch.counters);
        });
      return flushing;
    },
    async stop() {
      clearInterval(timer);
      await tracker.flush();
    },
    get pending() {
      const tokens = new Set(lastUsed.keys());
      for (const counter of closed) tokens.add(counter.tokenId);
      for (const id of current.keys()) tokens.add(id);
      return tokens.size;
    },
  };
  const timer = setInterval(() => void tracker.flush(), flushIntervalMs);
  timer.unref();
  return tracker;
}

/** One transaction: last-use times (never moved backwards), adding upserts of counts, recent addresses. */
async function writeBatch(db: Db, batch: Batch): Promise<void> {
  // Counters of one token and hour (from a retried batch and a new one) become one row.
  const usage = new Map<string, { tokenId: number; hourStart: number; requests: number; failed: number }>();
  const ips = new Map<string, { tokenId: number; ip: string; userAgent: string | null; at: number }>();
  for (const counter of batch.counters) {
    const key = `${counter.tokenId}:${counter.hourStart}`;
    const row = usage.get(key);
    if (row) {
      row.requests += counter.requests;
      row.failed += counter.failed;
    } else {
      usage.set(key, {
        tokenId: counter.tokenId,
        hourStart: counter.hourStart,
        requests: counter.requests,
        failed: counter.failed,
      });
    }
    for (const seen of counter.ips) {
      const ipKey = `${counter.tokenId} ${seen.ip}`;
      const known = ips.get(ipKey);
      if (!known || known.at < seen.at)
        ips.set(ipKey, { tokenId: counter.tokenId, ip: seen.ip, userAgent: seen.userAgent, at: seen.at });
    }
  }

  await db.transaction().execute(async (trx) => {
    const lastUsed = [...batch.lastUsed];
    for (let i = 0; i < lastUsed.length; i += CHUNK) {
      const chunk = lastUsed.slice(i, i + CHUNK);
      await trx
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
        .where(
          'id',
          'in',
          chunk.map(([id]) => id),
        )
        .execute();
    }

    const rows = [...usage.values()];
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto('api_token_usage')
        .values(
          rows
            .slice(i, i + CHUNK)
            .map((r) => ({ token_id: r.tokenId, hour_start: r.hourStart, requests: r.requests, failed: r.failed })),
        )
        .onConflict((oc) =>
          oc.columns(['token_id', 'hour_start']).doUpdateSet((eb) => ({
            requests: eb('api_token_usage.requests', '+', eb.ref('excluded.requests')),
            failed: eb('api_token_usage.failed', '+', eb.ref('excluded.failed')),
          })),
        )
        .execute();
    }

    const seen = [...ips.values()];
    for (let i = 0; i < seen.length; i += CHUNK) {
      await trx
        .insertInto('api_token_recent_ips')
        .values(
          seen
            .slice(i, i + CHUNK)
            .map((s) => ({ token_id: s.tokenId, ip: s.ip, user_agent: s.userAgent, last_seen_at: s.at })),
        )
        .onConflict((oc) =>
          oc.columns(['token_id', 'ip']).doUpdateSet((eb) => {
            // Another server may have seen the address later: its sighting stays.
            const newer = eb('excluded.last_seen_at', '>=', eb.ref('api_token_recent_ips.last_seen_at'));
            return {
              user_agent: eb
                .case()
                .when(newer)
                .then(eb.ref('excluded.user_agent'))
                .else(eb.ref('api_token_recent_ips.user_agent'))
                .end(),
              last_seen_at: eb
                .case()
                .when(newer)
                .then(eb.ref('excluded.last_seen_at'))
                .else(eb.ref('api_token_recent_ips.last_seen_at'))
                .end(),
            };
          }),
        )
        .execute();
    }
    const tokenIds = [...new Set(seen.map((s) => s.tokenId))];
    for (let i = 0; i < tokenIds.length; i += CHUNK) {
      // Keep each token's newest five: drop a row that five newer rows of its token outrank.
      await trx
        .deleteFrom('api_token_recent_ips')
        .where('token_id', 'in', tokenIds.slice(i, i + CHUNK))
        .where(
          (eb) =>
            eb
              .selectFrom('api_token_recent_ips as n')
              .select((n) => n.fn.countAll<number>().as('newer'))
              .whereRef('n.token_id', '=', 'api_token_recent_ips.token_id')
              .where((n) =>
                n.or([
                  n('n.last_seen_at', '>', n.ref('api_token_recent_ips.last_seen_at')),
                  n.and([
                    n('n.last_seen_at', '=', n.ref('api_token_recent_ips.last_seen_at')),
                    n('n.ip', '>', n.ref('api_token_recent_ips.ip')),
                  ]),
                ]),
              ),
          '>=',
          RECENT_IPS_KEPT,
        )
        .execute();
    }
  });
}
