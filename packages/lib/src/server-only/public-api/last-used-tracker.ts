// Records how tokens are used without a database write per request: `lastUsedAt`, hourly counts of
// requests and failures, and the last distinct client addresses are kept in memory and written in
// one transaction every `flushIntervalMs`, and on shutdown. A last-use time is skipped when the
// stored one is recent enough, so `lastUsedAt` is accurate to within 60 seconds. Counts are added
// to the stored ones (one upsert row per token and hour), so every server's counts add up, and a
// batch that cannot be written is kept, whole, for the next flush.
//
// Each token in use has one `TokenUse` record, changed in place by every request. The request check
// keeps it with the cached token, so counting a request is a few field updates: no lookup, no clock
// read of its own and no allocation (unless the client address is new to the token this flush).
import type { Db } from '../../db/create-database.js';
import type { Clock } from '../clock.js';

export const LAST_USED_ACCURACY_MS = 60_000;
export const HOUR_MS = 60 * 60 * 1000;
/** How many distinct client addresses are kept per token. */
export const RECENT_IPS_KEPT = 5;
/** A pending last use, and an address's last-seen time, move on in steps of this much. */
const STEP_MS = 1000;
/** A time not yet set: before every real one, and not an integer (see `useOf`). */
const NO_TIME = -0.5;
// Rows per statement: well under SQLite's and PostgreSQL's limits on parameters.
const CHUNK = 500;

type RecentIp = { ip: string; userAgent: string | null; at: number };

/** One token's uses since the last flush, in the hour that began at `hourStart`. */
export type TokenUse = {
  readonly tokenId: number;
  /** The tracker that made it: a record is only ever given back to its own tracker. */
  readonly tracker: LastUsedTracker;
  hourStart: number;
  hourEnd: number;
  requests: number;
  failed: number;
  /**
   * The latest client address, kept in the record itself: most requests come from the address
   * before them, and then counting one touches no other object.
   */
  ip: string | null;
  userAgent: string | null;
  ipAt: number;
  /** Other distinct addresses since the last flush, at most `RECENT_IPS_KEPT - 1`. */
  others: RecentIp[];
  /** The last use to write, or null when none is pending. */
  lastUsedAt: number | null;
  /** Whether the next flush will look at it. */
  queued: boolean;
};

/** Made by `createLastUsedTracker`. Its methods use `this`: call them on the tracker, do not detach them. */
export type LastUsedTracker = {
  /** The token's record, to keep beside the token so that `record` needs no lookup. */
  useOf(tokenId: number): TokenUse;
  /**
   * One request that presented the token and passed the check, at `now`, from `ip`: notes its last
   * use and counts it. `storedLastUsedAt` is what the database held when it was read; gives what the
   * database will hold once the pending uses are written (`storedLastUsedAt` when this use is close
   * enough to it to be skipped).
   */
  record(
    use: TokenUse,
    now: number,
    storedLastUsedAt: number | null,
    ip: string,
    userAgent: string | null | undefined,
  ): number | null;
  /** Notes a use of the token, as `record` does, without counting a request. */
  touch(tokenId: number, storedLastUsedAt: number | null): number | null;
  /** Counts a request that presented the token and passed the check, from `ip`, as `record` does. */
  count(tokenId: number, ip: string, userAgent: string | null | undefined): void;
  /** Counts, as failed, a request that passed the check and was then answered 4xx or 5xx. */
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

/** One token's counts in one hour, as written. */
type UsageCounter = { tokenId: number; hourStart: number; requests: number; failed: number; ips: RecentIp[] };

type Batch = { lastUsed: Map<number, number>; counters: UsageCounter[] };

export function createLastUsedTracker(options: LastUsedTrackerOptions): LastUsedTracker {
  return new UsageTracker(options);
}

/**
 * A class, not a closure per tracker: every tracker shares one `record` function, so the check's
 * call to it has one target however many trackers a process holds (one per database), and the
 * compiler can inline it.
 */
class UsageTracker implements LastUsedTracker {
  // The records of tokens used since the flush before last (idle ones are let go at a flush), and
  // those with something to write. Counts of an hour that has passed wait in `closed`.
  private uses = new Map<number, TokenUse>();
  private queue: TokenUse[] = [];
  private closed: UsageCounter[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly onError: ((error: unknown) => void) | undefined;
  /** A stored last use this recent is not written again. */
  private readonly skipWithin: number;
  private readonly timer: NodeJS.Timeout;

  constructor({ db, clock, flushIntervalMs = LAST_USED_ACCURACY_MS / 2, onError }: LastUsedTrackerOptions) {
    this.db = db;
    this.clock = clock;
    this.onError = onError;
    this.skipWithin = LAST_USED_ACCURACY_MS - flushIntervalMs;
    this.timer = setInterval(() => void this.flush(), flushIntervalMs);
    this.timer.unref();
  }

  useOf(tokenId: number): TokenUse {
    let use = this.uses.get(tokenId);
    if (use === undefined) {
      use = {
        tokenId,
        tracker: this,
        // Times start as non-integers, the kind of number they will hold: a field that changes
        // from a small integer to a time would change the record's hidden class at its first use.
        hourStart: NO_TIME,
        hourEnd: NO_TIME,
        requests: 0,
        failed: 0,
        ip: null,
        userAgent: null,
        ipAt: NO_TIME,
        others: [],
        lastUsedAt: null,
        queued: false,
      };
      this.uses.set(tokenId, use);
    }
    return use;
  }

  record(
    use: TokenUse,
    now: number,
    storedLastUsedAt: number | null,
    ip: string,
    userAgent: string | null | undefined,
  ): number | null {
    this.prepare(use, now);
    noteRequest(use, now, ip, userAgent);
    return this.noteLastUse(use, now, storedLastUsedAt);
  }

  touch(tokenId: number, storedLastUsedAt: number | null): number | null {
    const use = this.useOf(tokenId);
    const now = this.clock.now();
    this.prepare(use, now);
    return this.noteLastUse(use, now, storedLastUsedAt);
  }

  count(tokenId: number, ip: string, userAgent: string | null | undefined): void {
    const use = this.useOf(tokenId);
    const now = this.clock.now();
    this.prepare(use, now);
    noteRequest(use, now, ip, userAgent);
  }

  fail(tokenId: number): void {
    const use = this.useOf(tokenId);
    this.prepare(use, this.clock.now());
    use.failed += 1;
  }

  flush(): Promise<void> {
    if (this.queue.length === 0 && this.closed.length === 0) return this.flushing;
    const batch: Batch = { lastUsed: new Map(), counters: this.closed };
    this.closed = [];
    for (const use of this.queue) {
      if (hasCounts(use)) batch.counters.push(counterOf(use));
      if (use.lastUsedAt !== null) batch.lastUsed.set(use.tokenId, use.lastUsedAt);
      clearCounts(use);
      use.lastUsedAt = null;
      use.queued = false;
    }
    // What was not used since the last flush is let go; a cached token still holding its record
    // puts it back (in the queue and here) with its next request.
    this.uses = new Map(this.queue.map((use) => [use.tokenId, use]));
    this.queue = [];
    this.flushing = this.flushing
      .then(() => writeBatch(this.db, batch))
      .catch((error: unknown) => {
        this.onError?.(error);
        // Keep what could not be written for the next try: newer last-use times win, counts add.
        for (const [id, at] of batch.lastUsed) {
          const use = this.useOf(id);
          this.prepare(use, this.clock.now());
          if (use.lastUsedAt === null || use.lastUsedAt < at) use.lastUsedAt = at;
        }
        this.closed.unshift(...batch.counters);
      });
    return this.flushing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  get pending(): number {
    const tokens = new Set<number>();
    for (const counter of this.closed) tokens.add(counter.tokenId);
    for (const use of this.queue) {
      if (hasCounts(use) || use.lastUsedAt !== null) tokens.add(use.tokenId);
    }
    return tokens.size;
  }

  /** Puts the record in the next flush, and moves it to the hour of `now` (keeping the old hour's counts). */
  private prepare(use: TokenUse, now: number): void {
    if (!use.queued) {
      use.queued = true;
      this.queue.push(use);
      // A record a flush let go (kept by a cached token) is the token's record again, so that
      // `useOf` (for `fail`, say) finds it rather than making a second one.
      this.uses.set(use.tokenId, use);
    }
    if (now >= use.hourEnd || now < use.hourStart) {
      if (hasCounts(use)) this.closed.push(counterOf(use));
      use.hourStart = now - (now % HOUR_MS);
      use.hourEnd = use.hourStart + HOUR_MS;
      clearCounts(use);
    }
  }

  private noteLastUse(use: TokenUse, now: number, stored: number | null): number | null {
    const pending = use.lastUsedAt;
    if (pending === null) {
      if (stored !== null && now - stored < this.skipWithin) return stored;
    } else if (now - pending < STEP_MS) {
      // A pending use moves to a later time at most once a second: storing every request's time
      // would box a new number into a long-lived object each time.
      return pending;
    }
    use.lastUsedAt = now;
    return now;
  }
}

/** Counts one request from `ip`; the latest address is kept in the record, the others beside it. */
function noteRequest(use: TokenUse, now: number, ip: string, userAgent: string | null | undefined): void {
  use.requests += 1;
  const agent = userAgent ?? null;
  if (use.ip === ip) {
    // Written only when they change (the time by the second), for the same reason as above.
    if (now - use.ipAt >= STEP_MS || now < use.ipAt) use.ipAt = now;
    if (use.userAgent !== agent) use.userAgent = agent;
    return;
  }
  // A new latest address: the one before joins the others, which keep the newest four.
  const others = use.others.filter((seen) => seen.ip !== ip);
  if (use.ip !== null) others.push({ ip: use.ip, userAgent: use.userAgent, at: use.ipAt });
  if (others.length >= RECENT_IPS_KEPT) {
    others.sort((a, b) => b.at - a.at);
    others.length = RECENT_IPS_KEPT - 1;
  }
  use.others = others;
  use.ip = ip;
  use.userAgent = agent;
  use.ipAt = now;
}

function hasCounts(use: TokenUse): boolean {
  return use.requests > 0 || use.failed > 0 || use.ip !== null;
}

function clearCounts(use: TokenUse): void {
  use.requests = 0;
  use.failed = 0;
  use.ip = null;
  use.userAgent = null;
  use.ipAt = NO_TIME;
  use.others = [];
}

function counterOf(use: TokenUse): UsageCounter {
  const ips = use.ip === null ? use.others : [...use.others, { ip: use.ip, userAgent: use.userAgent, at: use.ipAt }];
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
