// Limits are counted before the work they protect, so requests sent all at once cannot overrun
// them: a flood of made-up (well-formed) tokens gets no more database lookups than the address's
// failure budget, and a flood of wrong passwords no more password checks than the sign-in budgets.
// Run on SQLite with counters in memory, and on PostgreSQL with counters in Redis (where the store
// answers asynchronously and parallel requests interleave the most).
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import { afterEach, describe, expect, it } from 'vitest';
import { generateApiToken, RedisRateLimitStore, trpcTransformer } from '@latchkey/lib';
import {
  describeWhenAvailable,
  postgresUnavailableReason,
  redisUnavailableReason,
  TEST_REDIS_URL,
  uniqueRedisPrefix,
  watchDatabaseCalls,
} from '@latchkey/lib/testing';
import type { AppRouter } from '../src/trpc/router';
import { START_TIME, startServer, type StartServerOptions, type TestServer } from './support/server';

const FAILURE_LIMIT = 30;
const SIGN_IN_LIMIT = 10;
const ACCOUNT_LIMIT = 15;

const servers: TestServer[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    expect(server.leakedSecrets()).toEqual([]);
    await server.close();
  }
  for (const close of closers.splice(0)) await close();
});

type Setup = { name: string; start(options: StartServerOptions): Promise<TestServer> };

const inMemory: Setup = {
  name: 'SQLite, counters in memory',
  async start(options) {
    const server = await startServer({ ...options, database: 'sqlite', config: { trustProxy: 'loopback' } });
    servers.push(server);
    return server;
  },
};

const onRedis: Setup = {
  name: 'PostgreSQL, counters in Redis',
  async start(options) {
    const holder: { server?: TestServer } = {};
    const store = new RedisRateLimitStore({
      url: TEST_REDIS_URL,
      keyPrefix: uniqueRedisPrefix('concurrency'),
      clock: { now: () => holder.server?.clock.now() ?? START_TIME },
      // A loaded test machine must not make Redis look down (and the counts local).
      timeoutMs: 2_000,
    });
    closers.push(() => store.close());
    expect(await store.connect()).toBe('up');
    const server = (holder.server = await startServer({
      ...options,
      database: 'postgres',
      rateLimitStore: store,
      config: { trustProxy: 'loopback' },
    }));
    servers.push(server);
    return server;
  },
};

/** Runs `tasks` with at most `concurrency` at a time; their answers in order. */
async function inParallel<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const answers: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        answers[i] = await task(i);
      }
    }),
  );
  return answers;
}

/** How many token lookups by hash ran (not prepared): statements run on SQLite, queries sent to PostgreSQL. */
function tokenLookups(calls: Array<{ via: string; sql: string }>): number {
  return calls.filter(
    (call) =>
      (call.via.startsWith('sqlite.statement') || call.via === 'pg.query') &&
      /from "api_tokens" as "t"/i.test(call.sql) &&
      /"token_hash" = /i.test(call.sql),
  ).length;
}

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** A tRPC client that calls as a browser behind the trusted proxy at `ip` would, batching calls made together. */
function trpcFrom(server: TestServer, ip: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${server.url}/api/trpc`,
        transformer: trpcTransformer,
        maxItems: 20,
        fetch: (input, init) =>
          fetch(input, {
            ...init,
            headers: { ...(init?.headers as Record<string, string>), origin: server.url, 'x-forwarded-for': ip },
          }),
      }),
    ],
  });
}

async function signInFailures(server: TestServer, userId: number): Promise<number> {
  const rows = await server.db
    .selectFrom('audit_events')
    .select('id')
    .where('type', '=', 'user.sign_in_failed')
    .where('user_id', '=', userId)
    .execute();
  return rows.length;
}

function suite(setup: Setup) {
  it('a flood of made-up tokens at concurrency 200 gets no more lookups than the failure limit', async () => {
    const server = await setup.start({ rateLimits: { authFailuresPerMinute: FAILURE_LIMIT } });
    // Warm up the server's statements, so that only the flood's lookups are counted.
    expect((await server.api('GET', '/api/v1/me', { token: generateApiToken() })).status).toBe(401);
    server.clock.advance(60_000);

    const watcher = watchDatabaseCalls(server.db);
    let statuses: number[];
    try {
      statuses = await inParallel(2000, 200, async () => {
        const res = await server.request('/api/v1/me', { headers: { authorization: `Bearer ${generateApiToken()}` } });
        await res.arrayBuffer();
        return res.status;
      });
    } finally {
      watcher.stop();
    }
    const lookups = tokenLookups(watcher.calls);
    expect(lookups).toBeGreaterThan(0);
    expect(lookups).toBeLessThanOrEqual(FAILURE_LIMIT);
    // Every lookup was a 401; every other request was held back before the database.
    expect(tally(statuses)).toEqual({ 401: lookups, 429: 2000 - lookups });
  }, 120_000);

  it('200 requests at once with a valid token the server has not seen share one lookup, all let in', async () => {
    const server = await setup.start({ rateLimits: { authFailuresPerMinute: FAILURE_LIMIT } });
    const user = await server.createTestUser('Busy Client');
    const { token } = await server.createTestToken(user);
    const watcher = watchDatabaseCalls(server.db);
    let statuses: number[];
    try {
      statuses = await inParallel(200, 200, async () => (await server.api('GET', '/api/v1/me', { token })).status);
    } finally {
      watcher.stop();
    }
    expect(tally(statuses)).toEqual({ 200: 200 });
    expect(tokenLookups(watcher.calls)).toBe(1);
    // The attempt counted for the lookup was given back: the address's failure budget is whole.
    for (let i = 0; i < FAILURE_LIMIT; i++)
      expect((await server.api('GET', '/api/v1/me', { token: generateApiToken() })).status).toBe(401);
    expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(429);
  }, 120_000);

  it('parallel wrong passwords get no more checks than the per-address limit, then the per-account one', async () => {
    const server = await setup.start({
      rateLimits: { signInFailures: SIGN_IN_LIMIT, signInFailuresPerAccount: ACCOUNT_LIMIT },
    });
    const user = await server.createTestUser('Targeted');
    server.remember('guess-0');
    const guesses = (ip: string) =>
      Promise.allSettled(
        // 5 batches of 20 calls, all sent at once.
        Array.from({ length: 5 }, () => {
          const client = trpcFrom(server, ip);
          return Promise.allSettled(
            Array.from({ length: 20 }, () => client.auth.signIn.mutate({ email: user.email, password: 'guess-0' })),
          );
        }),
      );

    await guesses('198.51.100.1');
    expect(await signInFailures(server, user.id)).toBe(SIGN_IN_LIMIT);
    // A second address has a budget of its own, but the account has only 5 checks left.
    await guesses('198.51.100.2');
    expect(await signInFailures(server, user.id)).toBe(ACCOUNT_LIMIT);
    // Now even the right password, from an address that has failed nothing, waits for the window.
    const fresh = trpcFrom(server, '198.51.100.3');
    await expect(fresh.auth.signIn.mutate({ email: user.email, password: user.password })).rejects.toMatchObject({
      data: { code: 'TOO_MANY_REQUESTS' },
    });
    expect(await signInFailures(server, user.id)).toBe(ACCOUNT_LIMIT);
    server.clock.advance(15 * 60_000);
    expect((await fresh.auth.signIn.mutate({ email: user.email, password: user.password })).user.id).toBe(user.id);
  }, 120_000);
}

describe(`limits under concurrency [${inMemory.name}]`, () => suite(inMemory));

describeWhenAvailable(
  `limits under concurrency [${onRedis.name}]`,
  [postgresUnavailableReason, redisUnavailableReason],
  () => suite(onRedis),
);
