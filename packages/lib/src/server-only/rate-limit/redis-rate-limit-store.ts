// Rate-limit counters shared by every server through Redis, with the in-memory counters as the
// fallback. Each counted hit is one round trip: a script that adds one to the window's key and
// sets its expiry when the key is new, so two servers never both see the same count. When Redis
// fails to answer within the timeout, the store stops asking it and counts in memory at once
// (no request waits on a dead Redis), and checks in the background until it answers again.
import { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import { MemoryRateLimitStore, type CounterAt, type RateLimitStore } from './rate-limiter.js';

export type RedisRateLimitStatus = 'connecting' | 'up' | 'down';

export type RedisRateLimitStatusChange = { status: 'up' | 'down'; previous: RedisRateLimitStatus; error?: Error };

export type RedisRateLimitStoreOptions = {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` for TLS. */
  url: string;
  clock: Clock;
  /** Put before every key, so that several installations (or tests) can share one Redis. */
  keyPrefix?: string;
  /** How long one command may take before Redis counts as down; 50 ms by default. */
  timeoutMs?: number;
  /** How often to try Redis again while it is down; 1 s by default. */
  probeIntervalMs?: number;
  /** Called once on every change of status (not for each failed command). */
  onStatusChange?: (change: RedisRateLimitStatusChange) => void;
};

export const DEFAULT_REDIS_KEY_PREFIX = 'latchkey:rate-limit:';

// The count of a window's key; the key is made with the window's end in it and expires a little
// after that end, so a server whose clock runs slightly behind still finds it.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

// The same, and the count of a second key read in the same round trip (0 when it does not exist).
const HIT_AND_GET_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, tonumber(redis.call('GET', KEYS[2]) or '0')}`;

// A request's three counters: its address counted, its address's failures read, and its token's
// owner counted only when the first two have room (so a refused request uses none of the owner's).
const HIT_CHECK_HIT_SCRIPT = `
local first = redis.call('INCR', KEYS[1])
if first == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local checked = tonumber(redis.call('GET', KEYS[2]) or '0')
if first > tonumber(ARGV[2]) or checked >= tonumber(ARGV[3]) then return {first, checked, 0} end
local second = redis.call('INCR', KEYS[3])
if second == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[4]) end
return {first, checked, second}`;

// An attempt counted against its address, and against the budget of the work it asks for only when
// the address has room: both counts are made before the work, so parallel attempts cannot overrun it.
const HIT_THEN_HIT_SCRIPT = `
local first = redis.call('INCR', KEYS[1])
if first == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if first > tonumber(ARGV[2]) then return {first, 0} end
local second = redis.call('INCR', KEYS[2])
if second == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return {first, second}`;

// One taken back from a window's count; a key that is gone (its window over) is not made again.
const REFUND_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count <= 0 then return 0 end
return redis.call('DECR', KEYS[1])`;

const SCRIPTS = [HIT_SCRIPT, HIT_AND_GET_SCRIPT, HIT_CHECK_HIT_SCRIPT, HIT_THEN_HIT_SCRIPT, REFUND_SCRIPT];

const EXPIRY_SLACK_MS = 5_000;

type ScriptedRedis = Redis & {
  latchkeyHit(key: string, ttlMs: number): Promise<number>;
  latchkeyHitAndGet(key: string, otherKey: string, ttlMs: number): Promise<[number, number]>;
  latchkeyHitCheckHit(
    key: string,
    checkedKey: string,
    thenKey: string,
    ttlMs: number,
    limit: number,
    checkedLimit: number,
    thenTtlMs: number,
  ): Promise<[number, number, number]>;
  latchkeyHitThenHit(
    key: string,
    thenKey: string,
    ttlMs: number,
    limit: number,
    thenTtlMs: number,
  ): Promise<[number, number]>;
  latchkeyRefund(key: string): Promise<number>;
};

export class RedisRateLimitStore implements RateLimitStore {
  private readonly client: ScriptedRedis;
  private readonly memory: MemoryRateLimitStore;
  private readonly prefix: string;
  private readonly probeIntervalMs: number;
  private readonly timeoutMs: number;
  private probe: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private closed = false;
  private state: RedisRateLimitStatus = 'connecting';

  constructor(private readonly options: RedisRateLimitStoreOptions) {
    this.memory = new MemoryRateLimitStore(options.clock);
    this.prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    this.probeIntervalMs = options.probeIntervalMs ?? 1_000;
    const timeout = (this.timeoutMs = options.timeoutMs ?? 50);
    this.client = new Redis(options.url, {
      lazyConnect: true,
      // Nothing queues while Redis is away: a command then fails at once and the hit is counted in
      // memory, so neither waiting requests nor a queue can grow without bound.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: Math.max(timeout * 10, 500),
      // Keep reconnecting, at most a second apart, for as long as the server runs.
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      // No auto-pipelining: it holds a batch back until the previous one is answered, which under
      // load adds waits of its own to the timeout.
    }) as ScriptedRedis;
    this.client.defineCommand('latchkeyHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.client.defineCommand('latchkeyHitAndGet', { numberOfKeys: 2, lua: HIT_AND_GET_SCRIPT });
    this.client.defineCommand('latchkeyHitCheckHit', { numberOfKeys: 3, lua: HIT_CHECK_HIT_SCRIPT });
    this.client.defineCommand('latchkeyHitThenHit', { numberOfKeys: 2, lua: HIT_THEN_HIT_SCRIPT });
    this.client.defineCommand('latchkeyRefund', { numberOfKeys: 1, lua: REFUND_SCRIPT });
    // Without a listener ioredis prints every connection error; the status change says it once.
    this.client.on('error', () => {});
    this.client.on('ready', () => void this.tryAgain());
    this.client.on('close', () => this.markDown(new Error('the connection to Redis closed')));
  }

  /** Connects once; resolves either way (down means counting in memory until Redis answers). */
  async connect(): Promise<RedisRateLimitStatus> {
    try {
      await this.client.connect();
      await this.tryAgain();
    } catch (error) {
      this.markDown(error as Error);
    }
    return this.state;
  }

  get status(): RedisRateLimitStatus {
    return this.state;
  }

  /** False while the counters are in memory because Redis does not answer. */
  reachable(): boolean {
    return this.state === 'up';
  }

  increment(key: string, resetAt: number): number | Promise<number> {
    // Counted in memory too, so a server that falls back starts from its own share of the window.
    const local = this.memory.increment(key, resetAt);
    if (this.state !== 'up') return local;
    const ttl = Math.max(1, resetAt - this.options.clock.now()) + EXPIRY_SLACK_MS;
    return this.timed(this.client.latchkeyHit(this.redisKey(key, resetAt), ttl)).then(
      (count) => Number(count),
      (error: Error) => {
        this.markDown(error);
        return local;
      },
    );
  }

  incrementAndGet(
    key: string,
    resetAt: number,
    otherKey: string,
    otherResetAt: number,
  ): [number, number] | Promise<[number, number]> {
    const local = this.memory.increment(key, resetAt);
    if (this.state !== 'up') return [local, this.memory.get(otherKey, otherResetAt)];
    const ttl = Math.max(1, resetAt - this.options.clock.now()) + EXPIRY_SLACK_MS;
    return this.timed(
      this.client.latchkeyHitAndGet(this.redisKey(key, resetAt), this.redisKey(otherKey, otherResetAt), ttl),
    ).then(
      ([count, other]): [number, number] => [Number(count), Number(other)],
      (error: Error): [number, number] => {
        this.markDown(error);
        return [local, this.memory.get(otherKey, otherResetAt)];
      },
    );
  }

  incrementCheckIncrement(
    first: CounterAt & { limit: number },
    checked: CounterAt & { limit: number },
    then: CounterAt,
  ): [number, number, number] | Promise<[number, number, number]> {
    const local = (): [number, number, number] => {
      const a = this.memory.increment(first.key, first.resetAt);
      const b = this.memory.get(checked.key, checked.resetAt);
      return [a, b, a <= first.limit && b < checked.limit ? this.memory.increment(then.key, then.resetAt) : 0];
    };
    if (this.state !== 'up') return local();
    // Counted in memory too (as `increment` does), for a fallback that starts from this server's share.
    const mirror = local();
    const now = this.options.clock.now();
    return this.timed(
      this.client.latchkeyHitCheckHit(
        this.redisKey(first.key, first.resetAt),
        this.redisKey(checked.key, checked.resetAt),
        this.redisKey(then.key, then.resetAt),
        Math.max(1, first.resetAt - now) + EXPIRY_SLACK_MS,
        first.limit,
        checked.limit,
        Math.max(1, then.resetAt - now) + EXPIRY_SLACK_MS,
      ),
    ).then(
      ([a, b, c]): [number, number, number] => [Number(a), Number(b), Number(c)],
      (error: Error) => {
        this.markDown(error);
        return mirror;
      },
    );
  }

  incrementThenIncrement(
    first: CounterAt & { limit: number },
    then: CounterAt,
  ): [number, number] | Promise<[number, number]> {
    // Counted in memory too (as `increment` does), for a fallback that starts from this server's share.
    const a = this.memory.increment(first.key, first.resetAt);
    const mirror: [number, number] = [a, a <= first.limit ? this.memory.increment(then.key, then.resetAt) : 0];
    if (this.state !== 'up') return mirror;
    const now = this.options.clock.now();
    return this.timed(
      this.client.latchkeyHitThenHit(
        this.redisKey(first.key, first.resetAt),
        this.redisKey(then.key, then.resetAt),
        Math.max(1, first.resetAt - now) + EXPIRY_SLACK_MS,
        first.limit,
        Math.max(1, then.resetAt - now) + EXPIRY_SLACK_MS,
      ),
    ).then(
      ([count, thenCount]): [number, number] => [Number(count), Number(thenCount)],
      (error: Error) => {
        this.markDown(error);
        return mirror;
      },
    );
  }

  decrement(key: string, resetAt: number): number | Promise<number> {
    const local = this.memory.decrement(key, resetAt);
    if (this.state !== 'up') return local;
    return this.timed(this.client.latchkeyRefund(this.redisKey(key, resetAt))).then(
      (count) => Number(count),
      (error: Error) => {
        this.markDown(error);
        return local;
      },
    );
  }

  get(key: string, resetAt: number): number | Promise<number> {
    if (this.state !== 'up') return this.memory.get(key, resetAt);
    return this.timed(this.client.get(this.redisKey(key, resetAt))).then(
      (value) => (value === null ? 0 : Number(value)),
      (error: Error) => {
        this.markDown(error);
        return this.memory.get(key, resetAt);
      },
    );
  }

  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probe);
    this.probe = undefined;
    this.client.disconnect();
    return Promise.resolve();
  }

  /**
   * The command's answer, or a rejection once it is late. Late is judged after the event loop has
   * read what arrived meanwhile (the timer fires before sockets are read in a turn of the loop), so
   * a busy server whose own loop lags is not taken for a slow Redis.
   */
  private timed<T>(command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const late = () => {
        if (settled) return;
        settled = true;
        reject(new Error(`Redis did not answer within ${this.timeoutMs} ms`));
      };
      const timer = setTimeout(() => setImmediate(late), this.timeoutMs);
      command.then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(value);
        },
        (error: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private redisKey(key: string, resetAt: number): string {
    return `${this.prefix}${key}:${resetAt}`;
  }

  private markDown(error: Error) {
    if (this.closed || this.state === 'down') return;
    const previous = this.state;
    this.state = 'down';
    // Tried again on a timer as well as on reconnection: a Redis that is connected but too slow
    // sends no event when it recovers.
    this.probe ??= setInterval(() => void this.tryAgain(), this.probeIntervalMs);
    this.probe.unref();
    this.options.onStatusChange?.({ status: 'down', previous, error });
  }

  /**
   * One probe at a time; Redis is up again when it answers within the timeout. The probe loads the
   * scripts, so that the first hits after a (re)start do not all pay a second round trip to load them.
   */
  private tryAgain(): Promise<void> {
    if (this.closed || this.state === 'up' || this.client.status !== 'ready') return Promise.resolve();
    const load = Promise.all(SCRIPTS.map((script) => this.client.script('LOAD', script)));
    this.probing ??= this.timed(load).then(
      () => {
        this.probing = undefined;
        if (this.closed || this.state === 'up') return;
        clearInterval(this.probe);
        this.probe = undefined;
        const previous = this.state;
        this.state = 'up';
        this.options.onStatusChange?.({ status: 'up', previous });
      },
      (error: Error) => {
        this.probing = undefined;
        this.markDown(error);
      },
    );
    return this.probing;
  }
}
