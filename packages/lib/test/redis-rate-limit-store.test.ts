// RedisRateLimitStore against a real Redis: counts shared by several stores (as by several servers)
// and exact under concurrency, one key per rule and window that expires, prefixes that keep
// installations apart, and the fall back to in-memory counters when Redis stops or hangs.
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../src/server-only/clock';
import { RateLimiter, type RateLimitRule, windowEnd } from '../src/server-only/rate-limit/rate-limiter';
import {
  RedisRateLimitStore,
  type RedisRateLimitStatusChange,
  type RedisRateLimitStoreOptions,
} from '../src/server-only/rate-limit/redis-rate-limit-store';
import {
  describeWhenAvailable,
  freePort,
  redisServerUnavailableReason,
  redisUnavailableReason,
  startRedisServer,
  TEST_REDIS_URL,
  uniqueRedisPrefix,
  type RedisServer,
} from '../src/testing';

const MINUTE = 60_000;
const T = Date.UTC(2026, 0, 1, 12, 0, 30, 250);

const stores: RedisRateLimitStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/**
 * What clients send Redis for keys under `keyPrefix`, seen through MONITOR (without the commands a
 * script runs inside Redis, whose source is "lua"). Disconnect `monitor` when done.
 */
async function watchCommands(redis: Redis, keyPrefix: string) {
  const monitor = await redis.monitor();
  const commands: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua' && args.some((arg) => arg.startsWith(keyPrefix))) commands.push(args);
  });
  return { monitor, commands };
}

async function connected(options: Partial<RedisRateLimitStoreOptions> & { keyPrefix: string }) {
  const changes: RedisRateLimitStatusChange[] = [];
  const store = new RedisRateLimitStore({
    url: TEST_REDIS_URL,
    clock: new ManualClock(T),
    onStatusChange: (change) => changes.push(change),
    ...options,
  });
  stores.push(store);
  await store.connect();
  return { store, changes };
}

async function until(condition: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeWhenAvailable('RedisRateLimitStore on the shared Redis', [redisUnavailableReason], () => {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  afterAll(() => redis.disconnect());

  it('counts every hit exactly once when several stores count the same key at the same time', async () => {
    const keyPrefix = uniqueRedisPrefix('concurrent');
    const a = await connected({ keyPrefix });
    const b = await connected({ keyPrefix });
    const c = await connected({ keyPrefix });
    expect([a.store.status, b.store.status, c.store.status]).toEqual(['up', 'up', 'up']);
    const resetAt = windowEnd(T, MINUTE);
    const counts = await Promise.all(
      Array.from({ length: 600 }, (_, i) =>
        Promise.resolve([a, b, c][i % 3]!.store.increment('api-owner:user:1', resetAt)),
      ),
    );
    // Atomic: the counts handed out are 1…600, each exactly once.
    expect([...counts].sort((x, y) => x - y)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(await a.store.get('api-owner:user:1', resetAt)).toBe(600);
    expect(await b.store.get('api-owner:user:2', resetAt)).toBe(0);
  });

  it('shares one limit between rate limiters on different stores: exactly `limit` hits pass', async () => {
    const keyPrefix = uniqueRedisPrefix('limiter');
    const clock = new ManualClock(T);
    const limiters = await Promise.all(
      [1, 2, 3].map(async () => new RateLimiter((await connected({ keyPrefix, clock })).store, clock)),
    );
    const rule: RateLimitRule = { name: 'api-owner', limit: 100, windowMs: MINUTE };
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) => Promise.resolve(limiters[i % 3]!.hit(rule, 'team:7'))),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
    expect(results.every((r) => r.limit === 100 && r.resetAt === windowEnd(T, MINUTE))).toBe(true);
    expect(Math.min(...results.map((r) => r.remaining))).toBe(0);
  });

  it('hitAndCheck() is one round trip that counts one key and reads another, shared by every store', async () => {
    const keyPrefix = uniqueRedisPrefix('hit-and-check');
    const clock = new ManualClock(T);
    const a = new RateLimiter((await connected({ keyPrefix, clock })).store, clock);
    const b = new RateLimiter((await connected({ keyPrefix, clock })).store, clock);
    const ipRule: RateLimitRule = { name: 'api-ip', limit: 5, windowMs: MINUTE };
    const failures: RateLimitRule = { name: 'api-auth-failures', limit: 2, windowMs: MINUTE };
    await b.hit(failures, '10.0.0.9');

    const { monitor, commands } = await watchCommands(redis, keyPrefix);
    try {
      const [hit, check] = await a.hitAndCheck(ipRule, '10.0.0.9', failures, '10.0.0.9');
      expect(hit).toMatchObject({ allowed: true, remaining: 4 });
      expect(check).toMatchObject({ allowed: true, remaining: 1 });
      await b.hit(failures, '10.0.0.9');
      const [again, full] = await b.hitAndCheck(ipRule, '10.0.0.9', failures, '10.0.0.9');
      expect(again.remaining).toBe(3);
      expect(full).toMatchObject({ allowed: false, remaining: 0 });
      await until(() => commands.length >= 3, 2_000, 'MONITOR to show the commands');
    } finally {
      monitor.disconnect();
    }
    // Two hitAndCheck calls and one hit in between: three commands, no separate GET.
    expect(commands.map((args) => args[0]!.toLowerCase().replace('evalsha', 'eval'))).toEqual(['eval', 'eval', 'eval']);
    expect(await redis.get(`${keyPrefix}api-ip:10.0.0.9:${windowEnd(T, MINUTE)}`)).toBe('2');
  });

  it('hitCheckThenHit() is one round trip: address counted, its failures read, owner counted with room', async () => {
    const keyPrefix = uniqueRedisPrefix('hit-check-hit');
    const clock = new ManualClock(T);
    const a = new RateLimiter((await connected({ keyPrefix, clock })).store, clock);
    const b = new RateLimiter((await connected({ keyPrefix, clock })).store, clock);
    const ipRule: RateLimitRule = { name: 'api-ip', limit: 3, windowMs: MINUTE };
    const failures: RateLimitRule = { name: 'api-auth-failures', limit: 1, windowMs: MINUTE };
    const owner: RateLimitRule = { name: 'api-owner', limit: 10, windowMs: MINUTE };

    const { monitor, commands } = await watchCommands(redis, keyPrefix);
    try {
      const [ip, failed, counted] = await a.hitCheckThenHit(ipRule, '10.0.0.1', failures, '10.0.0.1', owner, 'user:7');
      expect(ip).toMatchObject({ allowed: true, remaining: 2 });
      expect(failed).toMatchObject({ allowed: true, remaining: 1 });
      expect(counted).toMatchObject({ allowed: true, remaining: 9 });
      await until(() => commands.length >= 1, 2_000, 'MONITOR to show the command');
    } finally {
      monitor.disconnect();
    }
    expect(commands.map((args) => args[0]!.toLowerCase().replace('evalsha', 'eval'))).toEqual(['eval']);

    // Shared by every store; an address past its failures or its limit costs the owner nothing.
    await b.hit(failures, '10.0.0.2');
    const [, full, skipped] = await b.hitCheckThenHit(ipRule, '10.0.0.2', failures, '10.0.0.2', owner, 'user:7');
    expect(full.allowed).toBe(false);
    expect(skipped).toBeNull();
    for (let i = 0; i < 2; i++) await b.hitCheckThenHit(ipRule, '10.0.0.1', failures, '10.0.0.1', owner, 'user:7');
    const [over, , none] = await a.hitCheckThenHit(ipRule, '10.0.0.1', failures, '10.0.0.1', owner, 'user:7');
    expect(over).toMatchObject({ allowed: false, remaining: 0 });
    expect(none).toBeNull();
    expect(await redis.get(`${keyPrefix}api-owner:user:7:${windowEnd(T, MINUTE)}`)).toBe('3');
    expect(await redis.get(`${keyPrefix}api-ip:10.0.0.1:${windowEnd(T, MINUTE)}`)).toBe('4');
  });

  it('hitThenHit() counts attempts before their work: of 600 at once on 3 stores exactly `limit` pass', async () => {
    const keyPrefix = uniqueRedisPrefix('hit-then-hit');
    const clock = new ManualClock(T);
    const limiters = await Promise.all(
      [1, 2, 3].map(async () => new RateLimiter((await connected({ keyPrefix, clock })).store, clock)),
    );
    const ipRule: RateLimitRule = { name: 'api-ip', limit: 500, windowMs: MINUTE };
    const attempts: RateLimitRule = { name: 'api-auth-failures', limit: 30, windowMs: MINUTE };
    const results = await Promise.all(
      Array.from({ length: 600 }, (_, i) => Promise.resolve(limiters[i % 3]!.hitThenHit(ipRule, 'a', attempts, 'a'))),
    );
    expect(results.filter(([ip]) => ip.allowed)).toHaveLength(500);
    expect(results.filter(([, attempt]) => attempt?.allowed)).toHaveLength(30);
    // Past the address's limit the attempt is not counted: 500 attempts reached the failure counter.
    expect(results.filter(([, attempt]) => attempt !== null)).toHaveLength(500);
    expect(await redis.get(`${keyPrefix}api-auth-failures:a:${windowEnd(T, MINUTE)}`)).toBe('500');
    expect(await redis.pttl(`${keyPrefix}api-auth-failures:a:${windowEnd(T, MINUTE)}`)).toBeGreaterThan(0);

    // One command for the two counters.
    const { monitor, commands } = await watchCommands(redis, keyPrefix);
    try {
      await limiters[0]!.hitThenHit(ipRule, 'b', attempts, 'b');
      await until(() => commands.length >= 1, 2_000, 'MONITOR to show the command');
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      monitor.disconnect();
    }
    expect(commands).toHaveLength(1);
    expect(commands[0]!.filter((arg) => arg.startsWith(keyPrefix))).toHaveLength(2);
  });

  it('refund() takes one back in Redis for every store, never below 0, makes no key for a past window', async () => {
    const keyPrefix = uniqueRedisPrefix('refund');
    const clock = new ManualClock(T);
    const a = new RateLimiter((await connected({ keyPrefix, clock })).store, clock);
    const b = new RateLimiter((await connected({ keyPrefix, clock })).store, clock);
    const attempts: RateLimitRule = { name: 'api-auth-failures', limit: 2, windowMs: MINUTE };
    const first = await a.hit(attempts, 'a');
    await a.hit(attempts, 'a');
    expect((await b.check(attempts, 'a')).allowed).toBe(false);
    await b.refund(attempts, 'a', first);
    expect(await a.check(attempts, 'a')).toMatchObject({ allowed: true, remaining: 1 });
    for (let i = 0; i < 3; i++) await a.refund(attempts, 'a', first);
    expect(await redis.get(`${keyPrefix}api-auth-failures:a:${windowEnd(T, MINUTE)}`)).toBe('0');

    // The window is over and its key gone: the refund does not bring it back (without an expiry).
    const gone = { ...first, resetAt: windowEnd(T, MINUTE) - MINUTE };
    await a.refund(attempts, 'a', gone);
    expect(await redis.exists(`${keyPrefix}api-auth-failures:a:${gone.resetAt}`)).toBe(0);
  });

  it('keeps one key per rule and window, expiring shortly after the window ends', async () => {
    const keyPrefix = uniqueRedisPrefix('windows');
    const clock = new ManualClock(T);
    const { store } = await connected({ keyPrefix, clock });
    const first = windowEnd(T, MINUTE);
    expect(await store.increment('api-ip:10.0.0.1', first)).toBe(1);
    expect(await store.increment('api-ip:10.0.0.1', first)).toBe(2);
    expect(await store.increment('trpc-ip:10.0.0.1', first)).toBe(1);

    const key = `${keyPrefix}api-ip:10.0.0.1:${first}`;
    expect(await redis.get(key)).toBe('2');
    const ttl = await redis.pttl(key);
    // 29.75 s are left of the window; the key lives that long plus a few seconds of clock slack.
    expect(ttl).toBeGreaterThan(first - T);
    expect(ttl).toBeLessThanOrEqual(first - T + 5_000);

    clock.set(first);
    const second = windowEnd(clock.now(), MINUTE);
    expect(await store.increment('api-ip:10.0.0.1', second)).toBe(1);
    expect(await store.get('api-ip:10.0.0.1', first)).toBe(2);
  });

  it('lets a key expire in Redis once its window is over', async () => {
    const keyPrefix = uniqueRedisPrefix('expiry');
    const { store } = await connected({ keyPrefix, clock: systemClock });
    // A window that ends now: the key is kept only for the clock slack.
    const resetAt = Date.now();
    expect(await store.increment('short', resetAt)).toBe(1);
    const ttl = await redis.pttl(`${keyPrefix}short:${resetAt}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_001);
    await redis.pexpire(`${keyPrefix}short:${resetAt}`, 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await store.get('short', resetAt)).toBe(0);
  });

  it('keeps installations with different key prefixes apart', async () => {
    const one = uniqueRedisPrefix('one');
    const two = uniqueRedisPrefix('two');
    const a = await connected({ keyPrefix: one });
    const b = await connected({ keyPrefix: two });
    const resetAt = windowEnd(T, MINUTE);
    for (let i = 0; i < 5; i++) await a.store.increment('api-ip:1.2.3.4', resetAt);
    expect(await b.store.increment('api-ip:1.2.3.4', resetAt)).toBe(1);
    expect(await a.store.get('api-ip:1.2.3.4', resetAt)).toBe(5);
    expect(await redis.keys(`${one}*`)).toEqual([`${one}api-ip:1.2.3.4:${resetAt}`]);
    expect(await redis.keys(`${two}*`)).toEqual([`${two}api-ip:1.2.3.4:${resetAt}`]);
  });

  it('does not take its own busy event loop for a slow Redis', async () => {
    const { store, changes } = await connected({ keyPrefix: uniqueRedisPrefix('busy-loop') });
    const resetAt = windowEnd(T, MINUTE);
    const pending = store.increment('busy', resetAt);
    // Longer than the timeout, without giving the loop a chance to read Redis's answer.
    const until = Date.now() + 150;
    while (Date.now() < until);
    expect(await pending).toBe(1);
    expect(store.reachable()).toBe(true);
    expect(changes.map((c) => c.status)).toEqual(['up']);
  });

  it('reports the move to up once when it connects', async () => {
    const { store, changes } = await connected({ keyPrefix: uniqueRedisPrefix('up') });
    expect(store.reachable()).toBe(true);
    expect(changes).toEqual([{ status: 'up', previous: 'connecting' }]);
  });
});

describe('RedisRateLimitStore with nothing listening', () => {
  it('counts in memory at once, without waiting, and says so once', async () => {
    const changes: RedisRateLimitStatusChange[] = [];
    const store = new RedisRateLimitStore({
      url: `redis://127.0.0.1:${await freePort()}`,
      clock: new ManualClock(T),
      onStatusChange: (c) => changes.push(c),
    });
    stores.push(store);
    const started = Date.now();
    expect(await store.connect()).toBe('down');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(store.reachable()).toBe(false);
    const resetAt = windowEnd(T, MINUTE);
    // Synchronous answers: nothing is queued for a Redis that is not there.
    const counts = Array.from({ length: 10_000 }, () => store.increment('api-ip:1.2.3.4', resetAt));
    expect(counts.every((count) => typeof count === 'number')).toBe(true);
    expect(counts.at(-1)).toBe(10_000);
    expect(store.get('api-ip:1.2.3.4', resetAt)).toBe(10_000);
    expect(changes.map((c) => `${c.previous}->${c.status}`)).toEqual(['connecting->down']);
  });

  it("answers an API request's three counters from memory at once, the owner counted only with room", async () => {
    const store = new RedisRateLimitStore({ url: `redis://127.0.0.1:${await freePort()}`, clock: new ManualClock(T) });
    stores.push(store);
    expect(await store.connect()).toBe('down');
    const resetAt = windowEnd(T, MINUTE);
    const request = () =>
      store.incrementCheckIncrement(
        { key: 'api-ip:1.2.3.4', resetAt, limit: 2 },
        { key: 'api-auth-failures:1.2.3.4', resetAt, limit: 5 },
        { key: 'api-owner:user:1', resetAt },
      );
    expect(request()).toEqual([1, 0, 1]);
    expect(request()).toEqual([2, 0, 2]);
    // The third is past the address's limit of 2: the owner's count stays.
    expect(request()).toEqual([3, 0, 0]);
    expect(store.get('api-owner:user:1', resetAt)).toBe(2);
  });
});

describe('RedisRateLimitStore with nothing listening: attempts and refunds', () => {
  it('counts an attempt and gives it back in memory at once', async () => {
    const store = new RedisRateLimitStore({ url: `redis://127.0.0.1:${await freePort()}`, clock: new ManualClock(T) });
    stores.push(store);
    expect(await store.connect()).toBe('down');
    const resetAt = windowEnd(T, MINUTE);
    const attempt = () =>
      store.incrementThenIncrement({ key: 'api-ip:1.2.3.4', resetAt, limit: 2 }, { key: 'attempts:1.2.3.4', resetAt });
    expect(attempt()).toEqual([1, 1]);
    expect(attempt()).toEqual([2, 2]);
    // Past the address's limit: the attempt is not counted.
    expect(attempt()).toEqual([3, 0]);
    expect(store.decrement('attempts:1.2.3.4', resetAt)).toBe(1);
    expect(store.get('attempts:1.2.3.4', resetAt)).toBe(1);
  });
});

describeWhenAvailable('RedisRateLimitStore when its Redis stops', [redisServerUnavailableReason], ({ setup }) => {
  let server: RedisServer | undefined;
  setup(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function storeOnPrivateRedis() {
    await server!.start();
    const changes: RedisRateLimitStatusChange[] = [];
    const clock = new ManualClock(T);
    const store = new RedisRateLimitStore({
      url: server!.url,
      clock,
      keyPrefix: 'p:',
      probeIntervalMs: 100,
      onStatusChange: (c) => changes.push(c),
    });
    stores.push(store);
    expect(await store.connect()).toBe('up');
    return { store, changes, resetAt: windowEnd(T, MINUTE) };
  }

  it('falls back to in-memory counts when Redis is killed, and goes back to Redis when it returns', async () => {
    const { store, changes, resetAt } = await storeOnPrivateRedis();
    for (let i = 0; i < 3; i++) expect(await store.increment('k', resetAt)).toBe(i + 1);

    await server!.stop('SIGKILL');
    await until(() => !store.reachable(), 2_000, 'the store to notice');
    const started = Date.now();
    // The local counters saw the same three hits, so the fallback goes on from there.
    const during = [await store.increment('k', resetAt), await store.increment('k', resetAt)];
    expect(during).toEqual([4, 5]);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(store.get('k', resetAt)).toBe(5);

    await server!.start();
    await until(() => store.reachable(), 5_000, 'the store to go back to Redis');
    // A new, empty Redis: counting there again starts from 1.
    expect(await store.increment('k', resetAt)).toBe(1);
    expect(changes.map((c) => `${c.previous}->${c.status}`)).toEqual(['connecting->up', 'up->down', 'down->up']);
  });

  it('treats a Redis that answers too slowly as down, without requests waiting for it', async () => {
    const { store, changes, resetAt } = await storeOnPrivateRedis();
    expect(await store.increment('slow', resetAt)).toBe(1);
    process.kill(server!.pid!, 'SIGSTOP');
    try {
      const started = Date.now();
      // The first hit waits for the command timeout (50 ms), the others not at all.
      const counts = await Promise.all(
        Array.from({ length: 50 }, () => Promise.resolve(store.increment('slow', resetAt))),
      );
      expect(Date.now() - started).toBeLessThan(1_000);
      expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
      expect(store.reachable()).toBe(false);
      expect(typeof store.increment('slow', resetAt)).toBe('number');
    } finally {
      process.kill(server!.pid!, 'SIGCONT');
    }
    await until(() => store.reachable(), 5_000, 'the store to go back to Redis');
    // Redis ran the hits that timed out once it could, so its count includes them: 1 + 50 + this one.
    expect(await store.increment('slow', resetAt)).toBe(52);
    expect(changes.map((c) => `${c.previous}->${c.status}`)).toEqual(['connecting->up', 'up->down', 'down->up']);
  });
});
