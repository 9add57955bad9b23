// Rate limits counted in Redis (REDIS_URL): every limit of API.md lands in Redis under the key
// prefix, two servers on one Redis share each limit, /api/health says when Redis is away, and the
// server logs once when it cannot reach Redis or when limits are per server on PostgreSQL.
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, afterEach, expect, it } from 'vitest';
import { ManualClock, RedisRateLimitStore, type Clock } from '@latchkey/lib';
import {
  createTestDatabase,
  describeWhenAvailable,
  freePort,
  redisUnavailableReason,
  TEST_REDIS_URL,
  uniqueRedisPrefix,
  type TestDatabase,
} from '@latchkey/lib/testing';
import { defaultConfig } from '../src/config';
import { createLogger } from '../src/http/logger';
import { openRateLimitStore } from '../src/http/rate-limit-store';
import { START_TIME, startServer, trpcError, type StartServerOptions, type TestServer } from './support/server';

const servers: TestServer[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    expect(server.leakedSecrets()).toEqual([]);
    await server.close();
  }
  for (const close of closers.splice(0)) await close();
});

/** A Redis store on the shared test Redis that reads a clock the test sets up later. */
async function redisStore(keyPrefix: string, clock: () => Clock, url = TEST_REDIS_URL) {
  const store = new RedisRateLimitStore({ url, keyPrefix, clock: { now: () => clock().now() } });
  closers.push(() => store.close());
  await store.connect();
  return store;
}

async function serverOnRedis(keyPrefix: string, options: StartServerOptions = {}) {
  const store = await redisStore(keyPrefix, () => server.clock);
  const server = await startServer({ ...options, rateLimitStore: store });
  servers.push(server);
  return server;
}

function logCapture(level: 'info' | 'warn' = 'info') {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger(level, stream) };
}

describeWhenAvailable('rate limits in Redis', [redisUnavailableReason], ({ setup }) => {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  let shared: TestDatabase | undefined;
  setup(async () => {
    shared = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    redis.disconnect();
    await shared?.drop();
  });

  it('counts every limit (per IP, per owner, auth failures, tRPC, sign-in failures) in Redis', async () => {
    const prefix = uniqueRedisPrefix('every-limit');
    const server = await serverOnRedis(prefix);
    const user = await server.createTestUser('Counted');
    const { token } = await server.createTestToken(user);
    expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
    expect((await server.api('GET', '/api/v1/me', { authorization: 'Bearer api_nope' })).status).toBe(401);
    expect(await server.trpc().auth.me.query()).toEqual({ user: null });
    server.remember('a wrong password');
    expect(
      (await trpcError(server.trpc().auth.signIn.mutate({ email: user.email, password: 'a wrong password' }))).code,
    ).toBe('UNAUTHORIZED');

    const keys = await redis.keys(`${prefix}*`);
    const rules = new Set(keys.map((key) => key.slice(prefix.length).split(':')[0]));
    expect([...rules].sort()).toEqual([
      'api-auth-failures',
      'api-ip',
      'api-owner',
      'sign-in-account-failures',
      'sign-in-failures',
      'trpc-ip',
    ]);
    // Keys per rule and window: the window's end is the last part of every key.
    for (const key of keys) expect(Number(key.split(':').at(-1)) % 60_000).toBe(0);
    // Nothing secret in a key: the sign-in key holds the e-mail, never the password or token.
    expect(keys.join(' ')).not.toMatch(/wrong password|api_[0-9A-Za-z]{36}/);
  });

  it('asks Redis once for a request with a token it knows; one it must look up is counted before it', async () => {
    const prefix = uniqueRedisPrefix('round-trips');
    const server = await serverOnRedis(prefix);
    const user = await server.createTestUser('Round Trips');
    const { token } = await server.createTestToken(user);

    /** The rules named by each command the server sends Redis for one request (MONITOR). */
    async function commandsFor(expected: number): Promise<string[][]> {
      const monitor = await redis.monitor();
      const commands: string[][] = [];
      // Commands run inside a script are reported as "lua": only what the server sent counts.
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source !== 'lua' && args.some((arg) => arg.startsWith(prefix))) commands.push(args);
      });
      try {
        expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
        const deadline = Date.now() + 2_000;
        while (commands.length < expected && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 10));
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        monitor.disconnect();
      }
      return commands.map((args) =>
        args.filter((arg) => arg.startsWith(prefix)).map((key) => key.slice(prefix.length).split(':')[0]!),
      );
    }

    // First sight: the address and an attempt against its failures before the database is asked,
    // then, the token found, the attempt given back (not waited for) and the owner counted.
    expect(await commandsFor(3)).toEqual([['api-ip', 'api-auth-failures'], ['api-auth-failures'], ['api-owner']]);
    // Known to the cache: one script counts the address, reads its failures and counts the owner.
    expect(await commandsFor(1)).toEqual([['api-ip', 'api-auth-failures', 'api-owner']]);
  });

  it('lets two servers on one Redis share the owner and IP limits', async () => {
    const prefix = uniqueRedisPrefix('two-servers');
    const a = await serverOnRedis(prefix, { database: shared, rateLimits: { ownerPerMinute: 3 } });
    const b = await serverOnRedis(prefix, { database: shared, rateLimits: { ownerPerMinute: 3 } });
    const user = await a.createTestUser('Shared Owner');
    const { token } = await a.createTestToken(user);
    b.remember(token);
    const statuses = [];
    for (const server of [a, b, a, b]) statuses.push((await server.api('GET', '/api/v1/me', { token })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);

    const ipPrefix = uniqueRedisPrefix('two-servers-ip');
    const c = await serverOnRedis(ipPrefix, { database: shared, rateLimits: { ipPerMinute: 2 } });
    const d = await serverOnRedis(ipPrefix, { database: shared, rateLimits: { ipPerMinute: 2 } });
    expect((await c.api('GET', '/api/v1/openapi.json')).status).toBe(200);
    expect((await d.api('GET', '/api/v1/openapi.json')).status).toBe(200);
    expect((await c.api('GET', '/api/v1/openapi.json')).status).toBe(429);
    expect((await d.api('GET', '/api/v1/openapi.json')).status).toBe(429);
  });

  it('shares the failed-authentication and sign-in limits between servers', async () => {
    const prefix = uniqueRedisPrefix('two-servers-failures');
    const limits = { authFailuresPerMinute: 2, signInFailures: 2 };
    const a = await serverOnRedis(prefix, { database: shared, rateLimits: limits });
    const b = await serverOnRedis(prefix, { database: shared, rateLimits: limits });
    const user = await a.createTestUser('Shared Failures');
    const { token } = await a.createTestToken(user);
    b.remember(token);
    expect((await a.api('GET', '/api/v1/me', { authorization: 'Bearer api_nope' })).status).toBe(401);
    expect((await b.api('GET', '/api/v1/me', { authorization: 'Bearer api_nope' })).status).toBe(401);
    expect((await a.api('GET', '/api/v1/me', { token })).status).toBe(429);

    a.remember('not it');
    expect((await trpcError(a.trpc().auth.signIn.mutate({ email: user.email, password: 'not it' }))).code).toBe(
      'UNAUTHORIZED',
    );
    expect((await trpcError(b.trpc().auth.signIn.mutate({ email: user.email, password: 'not it' }))).code).toBe(
      'UNAUTHORIZED',
    );
    expect((await trpcError(a.trpc().auth.signIn.mutate({ email: user.email, password: user.password }))).code).toBe(
      'TOO_MANY_REQUESTS',
    );
  });

  it('answers /api/health with ok while Redis answers', async () => {
    const server = await serverOnRedis(uniqueRedisPrefix('health'));
    const health = await server.api('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
  });

  it('logs one line when limits go to Redis at start', async () => {
    const { lines, logger } = logCapture();
    const opened = await openRateLimitStore({
      config: defaultConfig({ redisUrl: TEST_REDIS_URL, redisKeyPrefix: uniqueRedisPrefix('log') }),
      clock: new ManualClock(START_TIME),
      logger,
    });
    closers.push(() => opened.close());
    expect(lines.map((line) => line.msg)).toEqual(['rate limits are counted in Redis, shared by every server']);
  });
});

it('answers /api/health 200 degraded, and keeps answering requests, while Redis cannot be reached', async () => {
  const store = await redisStore('unused:', () => server.clock, `redis://127.0.0.1:${await freePort()}`);
  const server = await startServer({ rateLimitStore: store, rateLimits: { ownerPerMinute: 2 } });
  servers.push(server);
  const health = await server.api('GET', '/api/health');
  expect(health.status).toBe(200);
  expect(health.body).toEqual({ status: 'degraded', redis: 'unreachable' });
  // The limits still hold, counted in this server's memory.
  const user = await server.createTestUser('Local Limits');
  const { token } = await server.createTestToken(user);
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await server.api('GET', '/api/v1/me', { token })).status);
  expect(statuses).toEqual([200, 200, 429]);
});

it('logs exactly one warning when Redis cannot be reached at start, never its password', async () => {
  const { lines, logger } = logCapture('warn');
  const url = `redis://someone:redis-password-123@127.0.0.1:${await freePort()}`;
  const opened = await openRateLimitStore({
    config: defaultConfig({ redisUrl: url }),
    clock: new ManualClock(START_TIME),
    logger,
  });
  closers.push(() => opened.close());
  expect(opened.store.reachable?.()).toBe(false);
  // Reconnection attempts go on in the background; none of them logs again.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(lines).toHaveLength(1);
  expect(lines[0]!.msg).toBe(
    'Redis is unreachable: rate limits are counted by each server in memory until it answers again',
  );
  expect(JSON.stringify(lines)).not.toContain('redis-password-123');
});

it('says at start, on PostgreSQL without REDIS_URL, that limits are per server, and nothing on SQLite', async () => {
  const clock = new ManualClock(START_TIME);
  const onPostgres = logCapture();
  await openRateLimitStore({
    config: defaultConfig({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/x' }),
    clock,
    logger: onPostgres.logger,
  });
  expect(onPostgres.lines.map((line) => line.msg)).toEqual([
    'REDIS_URL is not set: rate limits are counted by each server on its own; ' +
      'set REDIS_URL to share them when several servers use this database',
  ]);
  const onSqlite = logCapture();
  await openRateLimitStore({ config: defaultConfig({ databaseUrl: '/tmp/x.db' }), clock, logger: onSqlite.logger });
  expect(onSqlite.lines).toEqual([]);
});
