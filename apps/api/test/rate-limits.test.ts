// Every rate limit of API.md: the request past it gets 429 with the headers and body of the
// contract, and the next fixed, epoch-aligned window lets it through again.
import { afterEach, describe, expect, it } from 'vitest';
import superjson from 'superjson';
import { MemoryRateLimitStore, type Clock, type RateLimitStore } from '@latchkey/lib';
import {
  MINUTE,
  rateLimitHeaders,
  START_TIME,
  startServer,
  TOO_MANY_REQUESTS_BODY,
  trpcError,
  windowEndSeconds,
  type StartServerOptions,
  type TestServer,
} from './support/server';

const servers: TestServer[] = [];
async function serverWith(options: StartServerOptions): Promise<TestServer> {
  const server = await startServer(options);
  servers.push(server);
  return server;
}
afterEach(async () => {
  for (const server of servers) {
    expect(server.leakedSecrets()).toEqual([]);
    await server.close();
  }
  servers.length = 0;
});

/** The next fixed minute: where every per-minute counter starts again. */
function nextWindow(server: TestServer, windowMs = MINUTE) {
  server.clock.set((Math.floor(server.clock.now() / windowMs) + 1) * windowMs);
}

function expectTooManyRequests(res: { status: number; headers: Headers; body: unknown }, limit: number, now: number) {
  expect(res.status).toBe(429);
  expect(res.body).toEqual(TOO_MANY_REQUESTS_BODY);
  const headers = rateLimitHeaders(res.headers);
  expect(headers.limit).toBe(limit);
  expect(headers.remaining).toBe(0);
  expect(headers.reset).toBe(windowEndSeconds(now));
  expect(headers.retryAfter).toBeGreaterThanOrEqual(1);
  expect(headers.retryAfter).toBe(windowEndSeconds(now) - Math.floor(now / 1000));
}

describe('X-RateLimit-* headers', () => {
  it('come with every /api/v1 response, whatever its status', async () => {
    const server = await serverWith({ stockRateLimits: true });
    const user = await server.createTestUser('Headers');
    const { token } = await server.createTestToken(user);
    const responses = [
      await server.api('GET', '/api/v1/me', { token }),
      await server.api('GET', '/api/v1/tokens', { token }),
      await server.api('POST', '/api/v1/tokens', { token, body: { name: 'headers' } }),
      await server.api('GET', '/api/v1/tokens/self', { token }),
      await server.api('GET', '/api/v1/me'),
      await server.api('GET', '/api/v1/tokens/abc', { token }),
      await server.api('GET', '/api/v1/tokens/999', { token }),
      await server.api('GET', '/api/v1/nope', { token }),
      await server.api('GET', '/api/v1/openapi.json'),
      await server.api('POST', '/api/v1/tokens/self/rotate', { token }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 201, 200, 401, 400, 404, 404, 200, 201]);
    for (const res of responses) {
      const headers = rateLimitHeaders(res.headers);
      expect(headers.limit).toBe(1000);
      expect(headers.remaining).toBeGreaterThanOrEqual(0);
      expect(headers.remaining).toBeLessThan(1000);
      expect(headers.reset).toBe(windowEndSeconds(START_TIME));
    }
  });

  it('count down the remaining requests', async () => {
    const server = await serverWith({ rateLimits: { ipPerMinute: 10 } });
    const remaining = [];
    for (let i = 0; i < 3; i++)
      remaining.push(rateLimitHeaders((await server.api('GET', '/api/v1/openapi.json')).headers).remaining);
    expect(remaining).toEqual([9, 8, 7]);
  });

  it('give X-RateLimit-Reset as Unix seconds at the end of the current window', async () => {
    const server = await serverWith({});
    const res = await server.api('GET', '/api/v1/openapi.json');
    // 12:00:30 → the window ends at 12:01:00.
    expect(rateLimitHeaders(res.headers).reset).toBe(Date.UTC(2026, 0, 1, 12, 1, 0) / 1000);
    server.clock.set(Date.UTC(2026, 0, 1, 12, 1, 0));
    const next = await server.api('GET', '/api/v1/openapi.json');
    expect(rateLimitHeaders(next.headers).reset).toBe(Date.UTC(2026, 0, 1, 12, 2, 0) / 1000);
  });
});

describe('per client IP (RATE_LIMIT_IP_PER_MINUTE)', () => {
  it('answers 429 past the limit, with or without a token, until the next window', async () => {
    const server = await serverWith({ rateLimits: { ipPerMinute: 3 } });
    const user = await server.createTestUser('Busy');
    const { token } = await server.createTestToken(user);
    for (let i = 0; i < 3; i++) expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
    expectTooManyRequests(await server.api('GET', '/api/v1/me', { token }), 3, server.clock.now());
    expectTooManyRequests(await server.api('GET', '/api/v1/openapi.json'), 3, server.clock.now());
    expectTooManyRequests(
      await server.api('POST', '/api/v1/tokens', { token, rawBody: '{broken' }),
      3,
      server.clock.now(),
    );

    server.clock.advance(29_000);
    expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(429);
    nextWindow(server);
    const res = await server.api('GET', '/api/v1/me', { token });
    expect(res.status).toBe(200);
    expect(rateLimitHeaders(res.headers)).toMatchObject({ limit: 3, remaining: 2 });
  });

  it('answers 429 on every /api/v1 route past the limit, and nothing changes', async () => {
    const server = await serverWith({ rateLimits: { ipPerMinute: 2 } });
    const user = await server.createTestUser('Every Route');
    const victim = await server.createTestToken(user, { name: 'survives' });
    const { token } = await server.createTestToken(user, { name: 'caller' });
    expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
    expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
    const before = await server.db.selectFrom('api_tokens').selectAll().orderBy('id').execute();
    for (const [method, path, body] of [
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/tokens'],
      ['POST', '/api/v1/tokens', { name: 'over the limit' }],
      ['GET', `/api/v1/tokens/${victim.id}`],
      ['DELETE', `/api/v1/tokens/${victim.id}`],
      ['POST', `/api/v1/tokens/${victim.id}/rotate`, {}],
      ['GET', '/api/v1/openapi.json'],
    ] as const) {
      expectTooManyRequests(await server.api(method, path, { token, body }), 2, server.clock.now());
    }
    expect(await server.db.selectFrom('api_tokens').selectAll().orderBy('id').execute()).toEqual(before);
  });

  it('gives Retry-After of at least 1 in the last moment of a window', async () => {
    const server = await serverWith({ rateLimits: { ipPerMinute: 1 } });
    server.clock.set(Date.UTC(2026, 0, 1, 12, 0, 59, 999));
    expect((await server.api('GET', '/api/v1/openapi.json')).status).toBe(200);
    const res = await server.api('GET', '/api/v1/openapi.json');
    expect(res.status).toBe(429);
    expect(rateLimitHeaders(res.headers).retryAfter).toBe(1);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY says so', async () => {
    const server = await serverWith({ rateLimits: { ipPerMinute: 1 } });
    expect(
      (await server.api('GET', '/api/v1/openapi.json', { headers: { 'x-forwarded-for': '203.0.113.1' } })).status,
    ).toBe(200);
    expect(
      (await server.api('GET', '/api/v1/openapi.json', { headers: { 'x-forwarded-for': '203.0.113.2' } })).status,
    ).toBe(429);
  });

  it('counts each forwarded client apart behind a trusted proxy', async () => {
    const server = await serverWith({ rateLimits: { ipPerMinute: 1 }, config: { trustProxy: 'loopback' } });
    expect(
      (await server.api('GET', '/api/v1/openapi.json', { headers: { 'x-forwarded-for': '203.0.113.1' } })).status,
    ).toBe(200);
    expect(
      (await server.api('GET', '/api/v1/openapi.json', { headers: { 'x-forwarded-for': '203.0.113.2' } })).status,
    ).toBe(200);
    expect(
      (await server.api('GET', '/api/v1/openapi.json', { headers: { 'x-forwarded-for': '203.0.113.1' } })).status,
    ).toBe(429);
  });
});

describe('per token owner (RATE_LIMIT_OWNER_PER_MINUTE)', () => {
  it('answers 429 past the limit to every token of that owner, not to others, until the next window', async () => {
    const server = await serverWith({ rateLimits: { ownerPerMinute: 2 } });
    const busy = await server.createTestUser('Busy Owner');
    const calm = await server.createTestUser('Calm Owner');
    const first = await server.createTestToken(busy, { name: 'first' });
    const second = await server.createTestToken(busy, { name: 'second' });
    const other = await server.createTestToken(calm, { name: 'other' });

    const ok = await server.api('GET', '/api/v1/me', { token: first.token });
    expect(rateLimitHeaders(ok.headers)).toMatchObject({ limit: 2, remaining: 1 });
    expect((await server.api('GET', '/api/v1/me', { token: second.token })).status).toBe(200);
    expectTooManyRequests(await server.api('GET', '/api/v1/me', { token: first.token }), 2, server.clock.now());
    expectTooManyRequests(await server.api('GET', '/api/v1/tokens', { token: second.token }), 2, server.clock.now());
    expect((await server.api('GET', '/api/v1/me', { token: other.token })).status).toBe(200);

    nextWindow(server);
    expect((await server.api('GET', '/api/v1/me', { token: first.token })).status).toBe(200);
  });

  it("counts a team's tokens against the team, apart from the user's personal ones", async () => {
    const server = await serverWith({ rateLimits: { ownerPerMinute: 1 } });
    const admin = await server.createTestUser('Team Owner');
    const team = await server.createTestTeam(admin, 'Limited');
    const personal = await server.createTestToken(admin, { name: 'personal' });
    const teamToken = await server.createTestToken(admin, { teamId: team.id, name: 'team' });
    expect((await server.api('GET', '/api/v1/me', { token: personal.token })).status).toBe(200);
    expect((await server.api('GET', '/api/v1/me', { token: teamToken.token })).status).toBe(200);
    expect((await server.api('GET', '/api/v1/me', { token: teamToken.token })).status).toBe(429);
    expect((await server.api('GET', '/api/v1/me', { token: personal.token })).status).toBe(429);
  });
});

describe('failed authentications per client IP (RATE_LIMIT_AUTH_FAILURES_PER_MINUTE)', () => {
  it('answers 429 past the limit even to a valid token, until the window ends', async () => {
    const server = await serverWith({ rateLimits: { authFailuresPerMinute: 3 } });
    const user = await server.createTestUser('Unlucky');
    const { token } = await server.createTestToken(user);
    for (const bad of [undefined, 'Bearer api_nope', 'Bearer api_000000000000000000000000000000000000']) {
      expect((await server.api('GET', '/api/v1/me', bad === undefined ? {} : { authorization: bad })).status).toBe(401);
    }
    expectTooManyRequests(await server.api('GET', '/api/v1/me', { token }), 3, server.clock.now());
    expect((await server.api('GET', '/api/v1/me', { authorization: 'Bearer api_nope' })).status).toBe(429);

    nextWindow(server);
    expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
  });

  it('does not count successful requests', async () => {
    const server = await serverWith({ rateLimits: { authFailuresPerMinute: 1 } });
    const user = await server.createTestUser('Lucky');
    const { token } = await server.createTestToken(user);
    for (let i = 0; i < 5; i++) expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
    expect((await server.api('GET', '/api/v1/me')).status).toBe(401);
    expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(429);
  });

  it('holds back only the address that failed, behind a trusted proxy', async () => {
    const server = await serverWith({ rateLimits: { authFailuresPerMinute: 1 }, config: { trustProxy: 'loopback' } });
    const user = await server.createTestUser('Neighbour');
    const { token } = await server.createTestToken(user);
    expect((await server.api('GET', '/api/v1/me', { headers: { 'x-forwarded-for': '198.51.100.7' } })).status).toBe(
      401,
    );
    expect(
      (await server.api('GET', '/api/v1/me', { token, headers: { 'x-forwarded-for': '198.51.100.7' } })).status,
    ).toBe(429);
    expect(
      (await server.api('GET', '/api/v1/me', { token, headers: { 'x-forwarded-for': '198.51.100.8' } })).status,
    ).toBe(200);
  });
});

describe('with an asynchronous counter store (a shared one, such as Redis)', () => {
  /**
   * The in-memory store behind a promise that settles on a later turn of the event loop, as a network
   * store's would.
   */
  function asyncStore(clock: Clock): RateLimitStore & { calls: number } {
    const memory = new MemoryRateLimitStore(clock);
    const later = <T>(value: T) => new Promise<T>((resolve) => setImmediate(() => resolve(value)));
    return {
      calls: 0,
      increment(key, resetAt) {
        this.calls++;
        return later(memory.increment(key, resetAt));
      },
      get(key, resetAt) {
        this.calls++;
        return later(memory.get(key, resetAt));
      },
      decrement(key, resetAt) {
        this.calls++;
        return later(memory.decrement(key, resetAt));
      },
    };
  }

  /** A server whose counters live in an asynchronous store that reads the server's clock. */
  async function serverWithAsyncStore(rateLimits: StartServerOptions['rateLimits']) {
    const store = asyncStore({ now: () => server.clock.now() });
    const server = await serverWith({ rateLimits, rateLimitStore: store });
    return { server, store };
  }

  it('counts per client IP and answers 429 past the limit', async () => {
    const { server, store } = await serverWithAsyncStore({ ipPerMinute: 2 });
    const user = await server.createTestUser('Async IP');
    const { token } = await server.createTestToken(user);
    const ok = await server.api('GET', '/api/v1/me', { token });
    expect(ok.status).toBe(200);
    expect(ok.body.token.name).toBeDefined();
    expect(rateLimitHeaders(ok.headers)).toMatchObject({ limit: 2, remaining: 1 });
    expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
    expectTooManyRequests(await server.api('GET', '/api/v1/me', { token }), 2, server.clock.now());
    expect(store.calls).toBeGreaterThan(0);
    nextWindow(server);
    expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
  });

  it('counts per token owner and answers 429 past the limit', async () => {
    const { server } = await serverWithAsyncStore({ ownerPerMinute: 1 });
    const user = await server.createTestUser('Async Owner');
    const { token } = await server.createTestToken(user);
    expect((await server.api('GET', '/api/v1/tokens', { token })).status).toBe(200);
    expectTooManyRequests(await server.api('GET', '/api/v1/me', { token }), 1, server.clock.now());
  });

  it('counts failed authentications and then holds back even a valid token', async () => {
    const { server } = await serverWithAsyncStore({ authFailuresPerMinute: 2 });
    const user = await server.createTestUser('Async Failures');
    const { token } = await server.createTestToken(user);
    const refused = await server.api('GET', '/api/v1/me', { authorization: 'Bearer api_nope' });
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
    expect((await server.api('GET', '/api/v1/me')).status).toBe(401);
    expectTooManyRequests(await server.api('GET', '/api/v1/me', { token }), 2, server.clock.now());
  });
});

describe('tRPC per client IP (RATE_LIMIT_TRPC_PER_MINUTE)', () => {
  it('answers TOO_MANY_REQUESTS past the limit until the next window', async () => {
    const server = await serverWith({ rateLimits: { trpcPerMinute: 3 } });
    const client = server.trpc();
    for (let i = 0; i < 3; i++) expect(await client.auth.me.query()).toEqual({ user: null });
    const error = await trpcError(client.auth.me.query());
    expect(error).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      message: 'Too many requests, please try again later.',
    });

    const raw = await server.request('/api/trpc/auth.me');
    expect(raw.status).toBe(429);
    const headers = rateLimitHeaders(raw.headers);
    expect(headers).toMatchObject({ limit: 3, remaining: 0, reset: windowEndSeconds(server.clock.now()) });
    expect(headers.retryAfter).toBe(30);

    nextWindow(server);
    expect(await client.auth.me.query()).toEqual({ user: null });
  });

  it('refuses a mutation past the limit before it has any effect', async () => {
    const server = await serverWith({ rateLimits: { trpcPerMinute: 2 } });
    const user = await server.createTestUser('Limited Maker');
    const client = server.trpc();
    await client.auth.signIn.mutate({ email: user.email, password: user.password });
    expect(await client.apiToken.getMany.query()).toEqual([]);
    expect((await trpcError(client.apiToken.create.mutate({ name: 'over the limit' }))).code).toBe('TOO_MANY_REQUESTS');
    nextWindow(server);
    expect(await client.apiToken.getMany.query()).toEqual([]);
  });

  it('counts each call of a batch', async () => {
    const server = await serverWith({ rateLimits: { trpcPerMinute: 2 } });
    const client = server.trpc();
    const results = await Promise.allSettled([client.auth.me.query(), client.auth.me.query(), client.auth.me.query()]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  });

  it('is apart from the REST limit', async () => {
    const server = await serverWith({ rateLimits: { trpcPerMinute: 1, ipPerMinute: 1 } });
    expect(await server.trpc().auth.me.query()).toEqual({ user: null });
    expect((await server.api('GET', '/api/v1/openapi.json')).status).toBe(200);
  });
});

describe('sign-in failures per IP and e-mail (RATE_LIMIT_SIGN_IN_FAILURES)', () => {
  async function rawSignIn(server: TestServer, email: string, password: string) {
    const res = await server.request('/api/trpc/auth.signIn', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(superjson.serialize({ email, password })),
    });
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as { error?: { json: { message: string; data: { code: string } } } },
    };
  }

  it('answers TOO_MANY_REQUESTS past the limit, even to the right password, for 15 minutes', async () => {
    const server = await serverWith({ rateLimits: { signInFailures: 3 } });
    const user = await server.createTestUser('Forgetful');
    const other = await server.createTestUser('Other');
    server.remember('wrong password');
    const client = server.trpc();
    for (let i = 0; i < 3; i++) {
      const error = await trpcError(client.auth.signIn.mutate({ email: user.email, password: 'wrong password' }));
      expect(error).toMatchObject({ code: 'UNAUTHORIZED', message: 'Invalid e-mail or password' });
    }
    const blocked = await trpcError(client.auth.signIn.mutate({ email: user.email, password: user.password }));
    expect(blocked).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      message: 'Too many failed sign-ins, please try again later.',
    });
    expect(server.jarOf(client).session).toBeNull();

    const raw = await rawSignIn(server, user.email.toUpperCase(), user.password);
    expect(raw.status).toBe(429);
    expect(raw.body.error?.json.data.code).toBe('TOO_MANY_REQUESTS');
    const fifteenMinutes = 15 * MINUTE;
    const windowEnd = (Math.floor(server.clock.now() / fifteenMinutes) + 1) * fifteenMinutes;
    const headers = rateLimitHeaders(raw.headers);
    expect(headers.retryAfter).toBe((windowEnd - server.clock.now()) / 1000);
    expect(headers).toMatchObject({ limit: 3, remaining: 0, reset: windowEnd / 1000 });

    // Another e-mail from the same address is not held back.
    expect((await server.trpc().auth.signIn.mutate({ email: other.email, password: other.password })).user.id).toBe(
      other.id,
    );

    server.clock.set(windowEnd - 1);
    expect((await trpcError(client.auth.signIn.mutate({ email: user.email, password: user.password }))).code).toBe(
      'TOO_MANY_REQUESTS',
    );
    server.clock.set(windowEnd);
    expect((await client.auth.signIn.mutate({ email: user.email, password: user.password })).user.id).toBe(user.id);
    expect(server.jarOf(client).session).not.toBeNull();
  });

  it('does not count successful sign-ins', async () => {
    const server = await serverWith({ rateLimits: { signInFailures: 1 } });
    const user = await server.createTestUser('Regular');
    for (let i = 0; i < 3; i++)
      expect((await server.trpc().auth.signIn.mutate({ email: user.email, password: user.password })).user.id).toBe(
        user.id,
      );
  });
});
