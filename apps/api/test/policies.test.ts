// Leak reports, team policies and per-token address limits, over real HTTP.
import { afterEach, describe, expect, it } from 'vitest';
import { BUILTIN_SCOPE_DESCRIPTIONS, generateApiToken, getAuditEvents } from '@latchkey/lib';
import { loadConfig } from '../src/config';
import { startServer, trpcError, type TestServer } from './support/server';

const servers: TestServer[] = [];
async function start(options: Parameters<typeof startServer>[0] = {}) {
  const server = await startServer(options);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Headers that may differ between two identical answers. */
const VARYING = new Set(['date', 'x-request-id']);
const headersOf = (headers: Headers) => [...headers.entries()].filter(([name]) => !VARYING.has(name));

describe('POST /api/v1/credentials/revoke', () => {
  it('answers byte for byte the same for a live token and an unknown one, and the live one stops at once', async () => {
    // TRUST_PROXY lets each report come from its own address, so the per-IP counters read the same.
    const server = await start({ config: { trustProxy: 'loopback' } });
    const user = await server.createTestUser();
    const live = await server.createTestToken(user);
    const report = (token: string, ip: string) =>
      server.api('POST', '/api/v1/credentials/revoke', {
        body: { credentials: [token] },
        headers: { 'x-forwarded-for': ip },
      });
    const unknown = await report(generateApiToken(), '198.51.100.1');
    const matched = await report(live.token, '198.51.100.2');
    expect(matched.status).toBe(202);
    expect(matched.text).toBe('{"status":"accepted"}');
    expect(matched.text).toBe(unknown.text);
    expect(headersOf(matched.headers)).toEqual(headersOf(unknown.headers));
    expect((await server.api('GET', '/api/v1/me', { token: live.token })).status).toBe(401);
    const events = await getAuditEvents({ db: server.db, userId: user.id, type: 'token.revoked' });
    expect(events.events).toHaveLength(1);
    expect(events.events[0]).toMatchObject({
      actor: { kind: 'leak_report' },
      details: { source: 'leak_report' },
      ip: '198.51.100.2',
    });
  });

  it('skips malformed strings; revokes a token reported twice once', async () => {
    const server = await start();
    const user = await server.createTestUser();
    const live = await server.createTestToken(user);
    const body = { credentials: ['not a token', `api_${'x'.repeat(36)}`, live.token, live.token] };
    const answers = await Promise.all([1, 2].map(() => server.api('POST', '/api/v1/credentials/revoke', { body })));
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    expect((await getAuditEvents({ db: server.db, userId: user.id, type: 'token.revoked' })).events).toHaveLength(1);
  });

  it.each([
    ['no credentials', { credentials: [] }, 'at least 1'],
    ['1001 credentials', { credentials: Array.from({ length: 1001 }, () => 'api_x') }, 'at most 1000'],
    ['non-string entries', { credentials: ['api_x', 42] }, 'must be a string'],
    ['a missing field', {}, 'credentials'],
    ['an unknown field', { credentials: ['api_x'], tokens: [] }, 'tokens'],
  ])('refuses %s with a 400 naming the rule', async (_what, body, rule) => {
    const server = await start();
    const answer = await server.api('POST', '/api/v1/credentials/revoke', { body });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('INVALID_BODY');
    expect(answer.text).toContain(rule);
  });

  it('takes 1000 tokens (about 43 KB) but refuses a 10 MB body with 413', async () => {
    const server = await start();
    const thousand = { credentials: Array.from({ length: 1000 }, () => generateApiToken()) };
    expect((await server.api('POST', '/api/v1/credentials/revoke', { body: thousand })).status).toBe(202);
    const huge = await server.api('POST', '/api/v1/credentials/revoke', {
      rawBody: `{"credentials":["${'a'.repeat(10 * 1024 * 1024)}"]}`,
    });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('has its own hourly limit per address', async () => {
    const server = await start({ rateLimits: { credentialRevokePerHour: 2 } });
    const body = { credentials: [generateApiToken()] };
    const statuses = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await server.api('POST', '/api/v1/credentials/revoke', { body })).status);
    expect(statuses).toEqual([202, 202, 429]);
    const refused = await server.api('POST', '/api/v1/credentials/revoke', { body });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('x-ratelimit-limit')).toBe('2');
  });

  it('a report racing a rotation leaves the reported token dead', async () => {
    const server = await start();
    const user = await server.createTestUser();
    const live = await server.createTestToken(user);
    const [rotation, report] = await Promise.all([
      server.api('POST', '/api/v1/tokens/self/rotate', { token: live.token, body: { gracePeriodSeconds: 3600 } }),
      server.api('POST', '/api/v1/credentials/revoke', { body: { credentials: [live.token] } }),
    ]);
    expect(report.status).toBe(202);
    expect([201, 401, 404]).toContain(rotation.status);
    expect((await server.api('GET', '/api/v1/me', { token: live.token })).status).toBe(401);
  });
});

describe('allowedIps', () => {
  async function withParent(options: Parameters<typeof startServer>[0] = {}) {
    const server = await start(options);
    const user = await server.createTestUser();
    const parent = await server.createTestToken(user);
    const create = (allowedIps: unknown) =>
      server.api('POST', '/api/v1/tokens', {
        token: parent.token,
        body: { name: 'Limited', expiresIn: 'ONE_MONTH', allowedIps },
      });
    return { server, user, create };
  }

  it.each([['300.1.1.1'], ['10.0.0.0/33'], ['fe80::1%eth0'], ['localhost']])(
    'refuses %s with a 400 naming it',
    async (entry) => {
      const { create } = await withParent();
      const answer = await create(['192.0.2.1', entry]);
      expect(answer.status).toBe(400);
      expect(answer.body.issues[0].path).toBe('allowedIps.1');
      expect(answer.body.issues[0].message).toContain(entry);
    },
  );

  it('refuses 51 entries', async () => {
    const { create } = await withParent();
    const answer = await create(Array.from({ length: 51 }, (_, i) => `10.${i}.0.0/16`));
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('at most 50');
  });

  it.each([['0.0.0.0/0'], ['::/0'], ['127.0.0.1'], ['::ffff:127.0.0.0/104']])(
    'lets a token limited to %s in from 127.0.0.1',
    async (entry) => {
      const { server, create } = await withParent();
      const created = await create([entry]);
      expect(created.status).toBe(201);
      expect((await server.api('GET', '/api/v1/me', { token: created.body.token })).status).toBe(200);
      const listed = await server.api('GET', `/api/v1/tokens/${created.body.id}`, { token: created.body.token });
      expect(listed.body.allowedIps).toEqual([entry === '::ffff:127.0.0.0/104' ? '127.0.0.0/8' : entry]);
    },
  );

  it(
    'refuses another address with 403, records it once a minute, ' +
      'and X-Forwarded-For does not help with TRUST_PROXY off',
    async () => {
      const { server, user, create } = await withParent();
      const created = await create(['10.0.0.0/8']);
      const me = (headers: Record<string, string> = {}) =>
        server.api('GET', '/api/v1/me', { token: created.body.token, headers });
      const refused = await me();
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ code: 'FORBIDDEN', message: 'This token may not be used from this address' });
      expect((await me({ 'x-forwarded-for': '10.1.2.3' })).status).toBe(403);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await getAuditEvents({ db: server.db, userId: user.id, type: 'token.ip_refused' })).events).toHaveLength(
        1,
      );
      server.clock.advance(61_000);
      expect((await me()).status).toBe(403);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await getAuditEvents({ db: server.db, userId: user.id, type: 'token.ip_refused' })).events).toHaveLength(
        2,
      );
      // Rotation keeps the limit.
      const tooFar = await server.api('POST', '/api/v1/tokens/self/rotate', { token: created.body.token });
      expect(tooFar.status).toBe(403);
    },
  );

  it.each([
    ['a hop count', 1],
    ["the proxy's address", '127.0.0.1'],
    ['loopback', 'loopback'],
  ] as const)(
    'behind a proxy trusted by %s, a client cannot pass as the address a token is limited to',
    async (_how, trustProxy) => {
      const { server, create } = await withParent({ config: { trustProxy }, rateLimits: { ipPerMinute: 2 } });
      const created = await create(['203.0.113.7']);
      const me = (forwardedFor: string) =>
        server.api('GET', '/api/v1/me', { token: created.body.token, headers: { 'x-forwarded-for': forwardedFor } });
      // The client wrote the left-most entry itself; the proxy appended the address it came from.
      expect((await me('203.0.113.7, 198.51.100.50')).status).toBe(403);
      // The client the token belongs to, through the proxy.
      expect((await me('203.0.113.7')).status).toBe(200);
      // Made-up left-most entries do not give the client fresh per-address limits either.
      expect((await me('192.0.2.1, 198.51.100.50')).status).toBe(403);
      expect((await me('192.0.2.2, 198.51.100.50')).status).toBe(429);
    },
  );

  it(
    'a token limited to 127.0.0.1 makes children limited as it is, and cannot widen them ' +
      'or rotate an unlimited sibling (403)',
    async () => {
      const { server, user, create } = await withParent();
      const limited = (await create(['127.0.0.1'])).body;
      const asLimited = (method: 'GET' | 'POST', path: string, body?: unknown) =>
        server.api(method, path, { token: limited.token, body });

      const inherited = await asLimited('POST', '/api/v1/tokens', { name: 'Inherits', expiresIn: 'SEVEN_DAYS' });
      expect(inherited.status).toBe(201);
      const shown = await asLimited('GET', `/api/v1/tokens/${inherited.body.id}`);
      expect(shown.body.allowedIps).toEqual(['127.0.0.1']);

      for (const allowedIps of [[], ['0.0.0.0/0'], ['127.0.0.0/8']]) {
        const wider = await asLimited('POST', '/api/v1/tokens', { name: 'Wider', expiresIn: 'SEVEN_DAYS', allowedIps });
        expect(wider.status).toBe(403);
        expect(wider.body.code).toBe('FORBIDDEN');
        expect(wider.body.message).toMatch(/^A token cannot give a token addresses it may not be used from/);
      }

      const unlimited = await server.createTestToken(user, { name: 'Unlimited sibling' });
      const rotated = await asLimited('POST', `/api/v1/tokens/${unlimited.id}/rotate`, {});
      expect(rotated.status).toBe(403);
      expect(rotated.body).toEqual({
        code: 'FORBIDDEN',
        message: 'A token cannot rotate a token that may be used from addresses it may not: any address',
      });
      expect((await server.api('GET', '/api/v1/me', { token: unlimited.token })).status).toBe(200);
    },
  );

  it('believes X-Forwarded-For when TRUST_PROXY says so', async () => {
    const { server, create } = await withParent({ config: { trustProxy: 1 } });
    const created = await create(['10.0.0.0/8']);
    expect(
      (await server.api('GET', '/api/v1/me', { token: created.body.token, headers: { 'x-forwarded-for': '10.1.2.3' } }))
        .status,
    ).toBe(200);
    expect(
      (await server.api('GET', '/api/v1/me', { token: created.body.token, headers: { 'x-forwarded-for': '11.1.2.3' } }))
        .status,
    ).toBe(403);
  });
});

describe('team.policy', () => {
  it('ADMIN sets it, MANAGER gets 403, bad days are 400, and creation through REST keeps it', async () => {
    const server = await start();
    const admin = await server.createTestUser();
    const manager = await server.createTestUser();
    const team = await server.createTestTeam(admin);
    const asAdmin = server.trpc();
    await asAdmin.auth.signIn.mutate({ email: admin.email, password: admin.password });
    await asAdmin.team.members.add.mutate({ teamId: team.id, email: manager.email, role: 'MANAGER' });
    const asManager = server.trpc();
    await asManager.auth.signIn.mutate({ email: manager.email, password: manager.password });

    expect((await trpcError(asManager.team.policy.update.mutate({ teamId: team.id, maxLifetimeDays: 30 }))).code).toBe(
      'FORBIDDEN',
    );
    for (const days of [0, 366]) {
      const error = await trpcError(asAdmin.team.policy.update.mutate({ teamId: team.id, maxLifetimeDays: days }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain('maxLifetimeDays');
    }
    await asAdmin.team.policy.update.mutate({
      teamId: team.id,
      maxLifetimeDays: 30,
      allowedScopes: ['tokens:read', 'tokens:write'],
    });
    expect(await asManager.team.policy.get.query({ teamId: team.id })).toEqual({
      maxLifetimeDays: 30,
      allowedScopes: ['tokens:read', 'tokens:write'],
      instanceMaxLifetimeDays: null,
      knownScopes: ['tokens:read', 'tokens:write', 'audit:read'],
      scopeDescriptions: BUILTIN_SCOPE_DESCRIPTIONS,
    });
    // What the create dialog reads: the same policy for the team, only the instance's for personal tokens.
    expect(await asManager.apiToken.policy.query({ teamId: team.id })).toEqual({
      team: { maxLifetimeDays: 30, allowedScopes: ['tokens:read', 'tokens:write'] },
      instanceMaxLifetimeDays: null,
      scopes: ['tokens:read', 'tokens:write', 'audit:read'],
      scopeDescriptions: BUILTIN_SCOPE_DESCRIPTIONS,
    });
    expect(await asManager.apiToken.policy.query({ teamId: null })).toMatchObject({ team: null });
    const outsider = server.trpc();
    const stranger = await server.createTestUser();
    await outsider.auth.signIn.mutate({ email: stranger.email, password: stranger.password });
    expect((await trpcError(outsider.apiToken.policy.query({ teamId: team.id }))).code).toBe('NOT_FOUND');
    for (const teamId of ['x', -1, 1.5]) {
      const bad = await trpcError(asManager.apiToken.policy.query({ teamId: teamId as unknown as number }));
      expect(bad.code, String(teamId)).toBe('BAD_REQUEST');
      expect(bad.httpStatus).toBe(400);
      expect(bad.issues).toEqual([{ path: 'teamId', message: expect.any(String) }]);
    }

    const never = await trpcError(
      asAdmin.apiToken.create.mutate({ teamId: team.id, name: 'Forever', expiresIn: 'NEVER' }),
    );
    expect(never.code).toBe('BAD_REQUEST');
    expect(never.message).toContain("team's token policy");
    const teamToken = await asAdmin.apiToken.create.mutate({ teamId: team.id, name: 'Month', expiresIn: 'ONE_MONTH' });
    server.remember(teamToken.token);
    const viaRest = await server.api('POST', '/api/v1/tokens', {
      token: teamToken.token,
      body: { name: 'Child', expiresIn: 'THREE_MONTHS' },
    });
    expect(viaRest.status).toBe(400);
    expect(viaRest.body.message).toContain('at most 30 days');
    const omitted = await server.api('POST', '/api/v1/tokens', { token: teamToken.token, body: { name: 'Child' } });
    expect(omitted.status).toBe(201);
  });

  it('TOKEN_MAX_LIFETIME_DAYS limits personal tokens through every way in and marks older ones', async () => {
    const server = await start({ config: { tokenMaxLifetimeDays: 90 } });
    const user = await server.createTestUser();
    const old = await server.createTestToken(user, { expiresIn: 'NEVER' });
    const refused = await server.api('POST', '/api/v1/tokens', {
      token: old.token,
      body: { name: 'Year', expiresIn: 'ONE_YEAR' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain("server's token policy");
    const listed = await server.api('GET', `/api/v1/tokens/${old.id}`, { token: old.token });
    expect(listed.body.breaksPolicy).toBe('longer than this server allows');
    const asUser = server.trpc();
    await asUser.auth.signIn.mutate({ email: user.email, password: user.password });
    expect(await asUser.apiToken.policy.query({})).toMatchObject({ team: null, instanceMaxLifetimeDays: 90 });
  });
});

describe('configuration', () => {
  it('reads TOKEN_MAX_LIFETIME_DAYS and RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR, refusing bad values by name', () => {
    const config = loadConfig({ TOKEN_MAX_LIFETIME_DAYS: '90', RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR: '5' });
    expect(config.tokenMaxLifetimeDays).toBe(90);
    expect(config.rateLimits.credentialRevokePerHour).toBe(5);
    for (const bad of ['0', '-1', '1.5', 'ninety', '36501']) {
      expect(() => loadConfig({ TOKEN_MAX_LIFETIME_DAYS: bad })).toThrow(/TOKEN_MAX_LIFETIME_DAYS/);
    }
    expect(() => loadConfig({ RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR: '0' })).toThrow(
      /RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR/,
    );
  });

  it('reads TOKEN_MAX_PER_OWNER (1000 by default), refusing bad values by name', () => {
    expect(loadConfig({}).tokenMaxPerOwner).toBe(1000);
    expect(loadConfig({ TOKEN_MAX_PER_OWNER: '25' }).tokenMaxPerOwner).toBe(25);
    for (const bad of ['0', '-1', '1.5', 'many', '1e3']) {
      expect(() => loadConfig({ TOKEN_MAX_PER_OWNER: bad })).toThrow(/^TOKEN_MAX_PER_OWNER must be/);
    }
  });
});

describe('the cap on tokens per owner (TOKEN_MAX_PER_OWNER)', () => {
  it('answers a create past it with a 400 saying so, through REST and tRPC alike', async () => {
    const server = await start({ config: { tokenMaxPerOwner: 2 } });
    const user = await server.createTestUser();
    const first = await server.createTestToken(user, { name: 'first' });
    const second = await server.api('POST', '/api/v1/tokens', { token: first.token, body: { name: 'second' } });
    expect(second.status).toBe(201);
    const third = await server.api('POST', '/api/v1/tokens', { token: first.token, body: { name: 'third' } });
    expect(third.status).toBe(400);
    expect(third.body).toEqual({
      code: 'INVALID_REQUEST',
      message:
        'You already have 2 tokens, the most one owner may have (2); ' +
        'delete tokens you no longer need (expired ones first) before making more',
    });
    const client = server.trpc();
    await client.auth.signIn.mutate({ email: user.email, password: user.password });
    const refused = await trpcError(client.apiToken.create.mutate({ name: 'from the UI' }));
    expect(refused).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('already have 2 tokens') });
    // A rotation replaces a token: the cap does not stop it.
    const rotated = await server.api('POST', '/api/v1/tokens/self/rotate', { token: first.token, body: {} });
    expect(rotated.status).toBe(201);
    expect((await server.api('GET', '/api/v1/tokens', { token: rotated.body.token })).body.tokens).toHaveLength(2);
  });
});
