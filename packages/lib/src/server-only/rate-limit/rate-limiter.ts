// Fixed, epoch-aligned windows: a window of 60 s starts at every whole minute since the epoch, so
// every server and every client agree on when it resets. Counters live in a store; the in-memory
// one serves a single server, and a shared store (Redis, say) can implement the same interface.
import type { Clock } from '../clock.js';

export interface RateLimitStore {
  /** Adds one to the counter of `key` in the window that ends at `resetAt`, and returns the new count. */
  increment(key: string, resetAt: number): number | Promise<number>;
  /** The current count without adding to it. */
  get(key: string, resetAt: number): number | Promise<number>;
  /**
   * Takes one back from the counter of `key` in the window that ends at `resetAt`, never below 0;
   * nothing when that window is over (its counter is gone, and the current one owes nothing).
   */
  decrement(key: string, resetAt: number): number | Promise<number>;
  /**
   * `increment(key)` and `get(otherKey)` together, for a shared store in one round trip; without it
   * the limiter makes the two calls.
   */
  incrementAndGet?(
    key: string,
    resetAt: number,
    otherKey: string,
    otherResetAt: number,
  ): [number, number] | Promise<[number, number]>;
  /**
   * A request's three counters in one round trip: adds one to `first`, reads `checked`, and adds one
   * to `then` only when `first` is within its limit and `checked` under its own (0 for `then`
   * otherwise). Without it the limiter makes the calls one after another.
   */
  incrementCheckIncrement?(
    first: CounterAt & { limit: number },
    checked: CounterAt & { limit: number },
    then: CounterAt,
  ): [number, number, number] | Promise<[number, number, number]>;
  /**
   * Two counters in one round trip: adds one to `first`, and one to `then` only when `first` is
   * within its limit (0 for `then` otherwise). Without it the limiter makes the calls one after another.
   */
  incrementThenIncrement?(
    first: CounterAt & { limit: number },
    then: CounterAt,
  ): [number, number] | Promise<[number, number]>;
  /** For a shared store: false while it cannot reach where the counters are shared (and counts locally). */
  reachable?(): boolean;
}

/** A counter's key and the end of its window. */
export type CounterAt = { key: string; resetAt: number };

export type RateLimitResult = {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds since the epoch when the window ends. */
  resetAt: number;
  /** Whole seconds until the window ends, at least 1. */
  retryAfterSeconds: number;
};

export type RateLimitRule = { name: string; limit: number; windowMs: number };

export function windowEnd(now: number, windowMs: number): number {
  return (Math.floor(now / windowMs) + 1) * windowMs;
}

function result(count: number, rule: RateLimitRule, resetAt: number, now: number, allowed: boolean): RateLimitResult {
  return {
    allowed,
    limit: rule.limit,
    remaining: Math.max(0, rule.limit - count),
    resetAt,
    retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now) / 1000)),
  };
}

/**
 * Answers synchronously when the store does (the in-memory one), and with a promise when the store
 * is asynchronous (a shared one); `await` works on either.
 */
export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly clock: Clock,
  ) {}

  /** Counts one request against the rule; `allowed` is false once the count passes the limit. */
  hit(rule: RateLimitRule, key: string): RateLimitResult | Promise<RateLimitResult> {
    const now = this.clock.now();
    const resetAt = windowEnd(now, rule.windowMs);
    const count = this.store.increment(`${rule.name}:${key}`, resetAt);
    if (typeof count === 'number') return result(count, rule, resetAt, now, count <= rule.limit);
    return count.then((n) => result(n, rule, resetAt, now, n <= rule.limit));
  }

  /** Whether the rule still has room, without counting (for limits counted only on failure). */
  check(rule: RateLimitRule, key: string): RateLimitResult | Promise<RateLimitResult> {
    const now = this.clock.now();
    const resetAt = windowEnd(now, rule.windowMs);
    const count = this.store.get(`${rule.name}:${key}`, resetAt);
    if (typeof count === 'number') return result(count, rule, resetAt, now, count < rule.limit);
    return count.then((n) => result(n, rule, resetAt, now, n < rule.limit));
  }

  /**
   * `hit(rule, key)` and `check(checked, checkedKey)` at once: one round trip to a shared store
   * instead of two, for a request that is counted against one limit and must be under another.
   */
  hitAndCheck(
    rule: RateLimitRule,
    key: string,
    checked: RateLimitRule,
    checkedKey: string,
  ): [RateLimitResult, RateLimitResult] | Promise<[RateLimitResult, RateLimitResult]> {
    if (!this.store.incrementAndGet) {
      const hit = this.hit(rule, key);
      const check = this.check(checked, checkedKey);
      if (!(hit instanceof Promise) && !(check instanceof Promise)) return [hit, check];
      return Promise.all([hit, check]);
    }
    const now = this.clock.now();
    const resetAt = windowEnd(now, rule.windowMs);
    const checkedResetAt = windowEnd(now, checked.windowMs);
    const both = (counts: [number, number]): [RateLimitResult, RateLimitResult] => [
      result(counts[0], rule, resetAt, now, counts[0] <= rule.limit),
      result(counts[1], checked, checkedResetAt, now, counts[1] < checked.limit),
    ];
    const counts = this.store.incrementAndGet(
      `${rule.name}:${key}`,
      resetAt,
      `${checked.name}:${checkedKey}`,
      checkedResetAt,
    );
    return counts instanceof Promise ? counts.then(both) : both(counts);
  }

  /**
   * `hit(rule, key)`, then `hit(then, thenKey)` only if the first is allowed, in one round trip to a
   * shared store: an attempt counted against its address, and then against the budget of the work
   * it asks for (a token lookup, a password check) before that work is done. Counting first is what
   * keeps parallel requests from overrunning a limit: each one has its count before any of them
   * starts the work. `refund` gives the budget back when the work turns out to be no failure.
   */
  hitThenHit(rule: RateLimitRule, key: string, then: RateLimitRule, thenKey: string): TwoLimits | Promise<TwoLimits> {
    if (!this.store.incrementThenIncrement) {
      return withLimit(this.hit(rule, key), (first) =>
        !first.allowed ? [first, null] : withLimit(this.hit(then, thenKey), (second): TwoLimits => [first, second]),
      );
    }
    const now = this.clock.now();
    const resetAt = windowEnd(now, rule.windowMs);
    const thenResetAt = windowEnd(now, then.windowMs);
    const two = ([a, b]: [number, number]): TwoLimits => {
      const first = result(a, rule, resetAt, now, a <= rule.limit);
      return [first, first.allowed ? result(b, then, thenResetAt, now, b <= then.limit) : null];
    };
    const counts = this.store.incrementThenIncrement(
      { key: `${rule.name}:${key}`, resetAt, limit: rule.limit },
      { key: `${then.name}:${thenKey}`, resetAt: thenResetAt },
    );
    return counts instanceof Promise ? counts.then(two) : two(counts);
  }

  /**
   * Takes back a hit that `counted` answered, in the window it was counted in: an attempt counted
   * against a failure budget that turned out to succeed. Resolves when the store has it (a caller
   * need not wait: a shared store never rejects, it falls back to memory).
   */
  refund(rule: RateLimitRule, key: string, counted: RateLimitResult): void | Promise<void> {
    const done = this.store.decrement(`${rule.name}:${key}`, counted.resetAt);
    if (done instanceof Promise) return done.then(() => undefined);
  }

  /**
   * `hit(rule, key)` and `check(checked, checkedKey)`, then `hit(then, thenKey)` only if both have
   * room, in one round trip to a shared store: an API request counted against its address, under
   * its address's failure limit, and then against its token's owner.
   */
  hitCheckThenHit(
    rule: RateLimitRule,
    key: string,
    checked: RateLimitRule,
    checkedKey: string,
    then: RateLimitRule,
    thenKey: string,
  ): ThreeLimits | Promise<ThreeLimits> {
    if (!this.store.incrementCheckIncrement) {
      return withLimit(this.hitAndCheck(rule, key, checked, checkedKey), ([first, second]) =>
        !first.allowed || !second.allowed
          ? [first, second, null]
          : withLimit(this.hit(then, thenKey), (third): ThreeLimits => [first, second, third]),
      );
    }
    const now = this.clock.now();
    const resetAt = windowEnd(now, rule.windowMs);
    const checkedResetAt = windowEnd(now, checked.windowMs);
    const thenResetAt = windowEnd(now, then.windowMs);
    const three = ([a, b, c]: [number, number, number]): ThreeLimits => {
      const first = result(a, rule, resetAt, now, a <= rule.limit);
      const second = result(b, checked, checkedResetAt, now, b < checked.limit);
      return [
        first,
        second,
        first.allowed && second.allowed ? result(c, then, thenResetAt, now, c <= then.limit) : null,
      ];
    };
    const counts = this.store.incrementCheckIncrement(
      { key: `${rule.name}:${key}`, resetAt, limit: rule.limit },
      { key: `${checked.name}:${checkedKey}`, resetAt: checkedResetAt, limit: checked.limit },
      { key: `${then.name}:${thenKey}`, resetAt: thenResetAt },
    );
    return counts instanceof Promise ? counts.then(three) : three(counts);
  }
}

/**
 * Of two limits a request was counted against, the one its `X-RateLimit-*` headers show: the one
 * with less room (the later one on a tie, or when it is exceeded), `shown` when they would read alike.
 */
export function shownLimit(shown: RateLimitResult | undefined, result: RateLimitResult): RateLimitResult {
  if (shown && result.allowed && (shown.remaining < result.remaining || sameHeaders(shown, result))) return shown;
  return result;
}

/** Whether `a` and `b` would write the same three headers. */
function sameHeaders(a: RateLimitResult, b: RateLimitResult): boolean {
  return (
    a.remaining === b.remaining && a.limit === b.limit && Math.ceil(a.resetAt / 1000) === Math.ceil(b.resetAt / 1000)
  );
}

/**
 * Goes on with a limiter's answer: at once when its store answers synchronously (the in-memory one
 * does), after the promise otherwise. An API request passes here more than once, and awaiting an
 * answer that is already there would cost each time a turn of the event loop's microtask queue.
 */
export function withLimit<R, T>(result: R | Promise<R>, then: (result: R) => T | Promise<T>): T | Promise<T> {
  return result instanceof Promise ? result.then(then) : then(result);
}

/** What `hitCheckThenHit` answers: `then` is null when it was not counted. */
export type ThreeLimits = [RateLimitResult, RateLimitResult, RateLimitResult | null];

/** What `hitThenHit` answers: the second is null when it was not counted. */
export type TwoLimits = [RateLimitResult, RateLimitResult | null];

/**
 * Counters in a Map, keyed by rule, client and window. Finished windows are dropped as time moves
 * on, so memory holds only the current windows' keys.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly counters = new Map<string, { resetAt: number; count: number }>();
  private sweptAt = 0;

  constructor(private readonly clock: Clock) {}

  increment(key: string, resetAt: number): number {
    this.sweep();
    const entry = this.counters.get(key);
    if (entry && entry.resetAt === resetAt) return ++entry.count;
    this.counters.set(key, { resetAt, count: 1 });
    return 1;
  }

  get(key: string, resetAt: number): number {
    const entry = this.counters.get(key);
    return entry && entry.resetAt === resetAt ? entry.count : 0;
  }

  decrement(key: string, resetAt: number): number {
    const entry = this.counters.get(key);
    if (!entry || entry.resetAt !== resetAt) return 0;
    if (entry.count > 0) entry.count--;
    return entry.count;
  }

  get size(): number {
    return this.counters.size;
  }

  private sweep() {
    const now = this.clock.now();
    if (now - this.sweptAt < 10_000) return;
    this.sweptAt = now;
    for (const [key, entry] of this.counters) if (entry.resetAt <= now) this.counters.delete(key);
  }
}
