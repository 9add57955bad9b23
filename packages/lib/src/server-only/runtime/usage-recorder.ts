// Records how tokens are used without a database write per request. The verifier tells it of every
// request whose token was found valid (and of those then refused or failed); it keeps, per token,
// the last use, the hour's request and failure counts and the last distinct client addresses, and
// writes them in one transaction every `flushIntervalMs` and on `close()`. A last use is not written
// again while the stored one is recent enough, so `lastUsedAt` is accurate to within 60 seconds.
// Counts are added to the stored ones (one row per token and hour), so every server's counts add
// up; a batch that cannot be written is kept, whole, for the next flush.
import type { Db } from '../../db/create-database.js';
import type { Clock } from '../clock.js';

export const LAST_USED_ACCURACY_MS = 60_000;
export const HOUR_MS = 60 * 60 * 1000;
/** How many distinct client addresses are kept per token. */
export const RECENT_IPS_KEPT = 5;
// Rows per statement: well under SQLite's and PostgreSQL's limits on parameters.
const CHUNK = 500;

type RecentIp = { ip: string; userAgent: string | null; at: number };

/** One token's counts in one hour. */
type UsageCounter = { tokenId: number; hourStart: number; requests: number; failed: number; ips: RecentIp[] };

/** What is waiting to be written: last uses by token, and counters (several per token and hour add up). */
type Batch = { lastUsed: Map<number, number>; counters: UsageCounter[] };

/** One token's uses since the last flush, in the hour that began at `hourStart`. */
type Pending = {
  tokenId: number;
  hourStart: number;
  requests: number;
  failed: number;
  /** Distinct addresses, least recently seen first (a Map keeps insertion order). */
  ips: Map<string, { userAgent: string | null; at: number }>;
  /** The last use to write, or null. */
  lastUsedAt: number | null;
};

export type UsageRecorder = {
  /**
   * A request whose token passed the check, at `now`, from `ip`: counts it and notes its last use.
   * `storedLastUsedAt` is what the database held when the token was read; returns what it will hold
   * once the pending uses are written.
   */
  recordRequest(
    tokenId: number,
    now: number,
    storedLastUsedAt: number | null,
    ip: string | null,
    userAgent: string | null | undefined,
  ): number | null;
  /** Counts a request of the token that was refused or failed after its token passed the check. */
  recordFailure(tokenId: number, now?: number): void;
  /** Writes everything pending now. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is pending. */
  close(): Promise<void>;
  /** How many tokens have something not yet written. */
  readonly pending: number;
};

export type UsageRecorderOptions = {
  db: Db;
  clock: Clock;
  /** 30 s by default; `lastUsedAt` stays within 60 s as long as this is under 60 s. */
  flushIntervalMs?: number;
  /** Told when a batch could not be written; the batch is kept and tried again at the next flush. */
  onError?: (error: unknown) => void;
};

export function createUsageRecorder({
  db,
  clock,
  flushIntervalMs = LAST_USED_ACCURACY_MS / 2,
  onError,
}: UsageRecorderOptions): UsageRecorder {
  /** A stored last use this recent is not written again. */
  const skipWithin = LAST_USED_ACCURACY_MS - flushIntervalMs;
  let pending = new Map<number, Pending>();
  /** Counts of hours that ended before the flush, and of batches that failed. */
  let carried: UsageCounter[] = [];
  let flushing: Promise<void> = Promise.resolve();

  /** The token's pending record, moved to the hour of `now` (an ended hour's counts are carried). */
  function pendingOf(tokenId: number, now: number): Pending {
    const hourStart = now - (now % HOUR_MS);
    let use = pending.get(tokenId);
    if (use === undefined) {
      use = { tokenId, hourStart, requests: 0, failed: 0, ips: new Map(), lastUsedAt: null };
      pending.set(tokenId, use);
    } else if (use.hourStart !== hourStart) {
      if (hasCounts(use)) carried.push(counterOf(use));
      Object.assign(use, { hourStart, requests: 0, failed: 0, ips: new Map() });
    }
    return use;
  }

  function noteLastUse(use: Pending, now: number, stored: number | null): number | null {
    if (use.lastUsedAt === null && stored !== null && now - stored < skipWithin) return stored;
    if (use.lastUsedAt === null || use.lastUsedAt < now) use.lastUsedAt = now;
    return use.lastUsedAt;
  }

  async function flush(): Promise<void> {
    const batch: Batch = { lastUsed: new Map(), counters: carried };
    carried = [];
    for (const use of pending.values()) {
      if (hasCounts(use)) batch.counters.push(counterOf(use));
      if (use.lastUsedAt !== null) batch.lastUsed.set(use.tokenId, use.lastUsedAt);
    }
    pending = new Map();
    if (batch.counters.length === 0 && batch.lastUsed.size === 0) return flushing;
    flushing = flushing
      .then(() => writeBatch(db, batch))
      .catch((error: unknown) => {
        onError?.(error);
        // Kept for the next try: newer last-use times win, counts add.
        for (const [tokenId, at] of batch.lastUsed) {
          const use = pendingOf(tokenId, clock.now());
          if (use.lastUsedAt === null || use.lastUsedAt < at) use.lastUsedAt = at;
        }
        carried.unshift(...batch.counters);
      });
    return flushing;
  }

  const timer = setInterval(() => void flush(), flushIntervalMs);
  timer.unref();

  return {
    recordRequest(tokenId, now, storedLastUsedAt, ip, userAgent) {
      const use = pendingOf(tokenId, now);
      use.requests += 1;
      if (ip !== null) {
        // Re-inserted so that the Map's order stays least recently seen first.
        use.ips.delete(ip);
        use.ips.set(ip, { userAgent: userAgent ?? null, at: now });
        if (use.ips.size > RECENT_IPS_KEPT) use.ips.delete(use.ips.keys().next().value!);
      }
      return noteLastUse(use, now, storedLastUsedAt);
    },
    recordFailure(tokenId, now = clock.now()) {
      pendingOf(tokenId, now).failed += 1;
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
    get pending() {
      const tokens = new Set<number>(carried.map((counter) => counter.tokenId));
      for (const use of pending.values()) if (hasCounts(use) || use.lastUsedAt !== null) tokens.add(use.tokenId);
      return tokens.size;
    },
  };
}

function hasCounts(use: Pending): boolean {
  return use.requests > 0 || use.failed > 0 || use.ips.size > 0;
}

function counterOf(use: Pending): UsageCounter {
  const ips = [...use.ips].map(([ip, seen]) => ({ ip, userAgent: seen.userAgent, at: seen.at }));
  return { tokenId: use.tokenId, hourStart: use.hourStart, requests: use.requests, failed: use.failed, ips };
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
