// Every route of the public REST API over real HTTP: what it answers, and each error it can give.
// Calls the server must accept go through the typed client (@latchkey/client), so its generated
// types, the OpenAPI document and the server are proved to agree; malformed ones use plain fetch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, TOKEN_REGEX, type CreatedApiToken, type PublicTeam } from '@latchkey/lib';
import { answerOf, DAY, errorOf, START_TIME, startServer, type TestServer } from './support/server';

const METADATA_KEYS = [
  'allowedIps',
  'breaksPolicy',
  'createdAt',
  'createdBy',
  'expiresAt',
  'id',
  'lastUsedAt',
  'name',
  'scopes',
  'start',
  'status',
];
const CREATED_KEYS = ['createdAt', 'expiresAt', 'id', 'name', 'scopes', 'start', 'token'];
const ISO = (ms: number) => new Date(ms).toISOString();

let server: TestServer;
let alice: Awaited<ReturnType<TestServer['createTestUser']>>;
let bob: Awaited<ReturnType<TestServer['createTestUser']>>;
let aliceToken: CreatedApiToken;
let bobToken: CreatedApiToken;
let team: PublicTeam;
let teamToken: CreatedApiToken;

beforeAll(async () => {
  server = await startServer();
  alice = await server.createTestUser('Alice');
  bob = await server.createTestUser('Bob');
  aliceToken = await server.createTestToken(alice, { name: 'alice main' });
  bobToken = await server.createTestToken(bob, { name: 'bob main' });
  team = await server.createTestTeam(alice, 'Acme');
  teamToken = await server.createTestToken(alice, { teamId: team.id, name: 'acme deploy' });
});
afterAll(async () => {
  await server?.close();
});

describe('GET /api/v1/me', () => {
  it('describes a personal token, its user and no team', async () => {
    const me = await answerOf(server.client(aliceToken.token).GET('/me'), 200);
    expect(me).toEqual({
      token: {
        id: aliceToken.id,
        name: 'alice main',
        start: aliceToken.token.slice(0, 8),
        scopes: ['tokens:read', 'tokens:write', 'audit:read'],
        createdAt: ISO(START_TIME),
        expiresAt: null,
        lastUsedAt: null,
      },
      user: { id: alice.id, name: 'Alice', email: alice.email },
      team: null,
    });
  });

  it('describes a team token with its team and the user who made it', async () => {
    const me = await answerOf(server.client(teamToken.token).GET('/me'), 200);
    expect(me.token.id).toBe(teamToken.id);
    expect(me.team).toEqual({ id: team.id, name: 'Acme', slug: 'acme' });
    expect(me.user).toEqual({ id: alice.id, name: 'Alice', email: alice.email });
  });

  it('records lastUsedAt in a batch, not with a write per request', async () => {
    const token = await server.createTestToken(alice, { name: 'last used probe' });
    const usedAt = server.clock.now();
    const client = server.client(token.token);
    await answerOf(client.GET('/me'), 200);
    const before = await server.db
      .selectFrom('api_tokens')
      .select('last_used_at')
      .where('id', '=', token.id)
      .executeTakeFirstOrThrow();
    expect(before.last_used_at).toBeNull();

    await server.lastUsed.flush();
    server.clock.advance(5_000);
    expect((await answerOf(client.GET('/me'), 200)).token.lastUsedAt).toBe(ISO(usedAt));
    server.clock.set(START_TIME);
  });

  it('answers 401 without a token', async () => {
    const res = await server.api('GET', '/api/v1/me');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 'UNAUTHORIZED', message: 'API token was not provided' });
  });
});

describe('GET /api/v1/tokens', () => {
  it("lists the owner's tokens newest first, as metadata without the token itself", async () => {
    const { data, response } = await server.client(bobToken.token).GET('/tokens');
    expect(response.status).toBe(200);
    expect(data?.nextCursor).toBeNull();
    expect(data?.tokens).toHaveLength(1);
    const listed = data!.tokens[0]!;
    expect(Object.keys(listed).sort()).toEqual(METADATA_KEYS);
    expect(listed).toEqual({
      id: bobToken.id,
      name: 'bob main',
      start: bobToken.token.slice(0, 8),
      scopes: ['tokens:read', 'tokens:write', 'audit:read'],
      status: 'active',
      createdAt: ISO(START_TIME),
      expiresAt: null,
      lastUsedAt: null,
      createdBy: { id: bob.id, name: 'Bob' },
      allowedIps: [],
      breaksPolicy: null,
    });
    expect(JSON.stringify(data)).not.toContain(bobToken.token);
  });

  it("lists a team's tokens for a team token, and only the user's own for a personal token", async () => {
    const viaTeam = await answerOf(server.client(teamToken.token).GET('/tokens'), 200);
    expect(viaTeam.tokens.map((t) => t.id)).toEqual([teamToken.id]);
    const viaAlice = await answerOf(server.client(aliceToken.token).GET('/tokens'), 200);
    const ids = viaAlice.tokens.map((t) => t.id);
    expect(ids).toContain(aliceToken.id);
    expect(ids).not.toContain(teamToken.id);
    expect(ids).not.toContain(bobToken.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });

  it('pages with ?limit= and ?cursor=, ending with nextCursor null', async () => {
    const carol = await server.createTestUser('Carol');
    const tokens = [];
    for (let i = 1; i <= 5; i++) tokens.push(await server.createTestToken(carol, { name: `carol ${i}` }));
    const newestFirst = tokens.map((t) => t.id).reverse();

    const client = server.client(tokens[0]!.token);

    const first = await answerOf(client.GET('/tokens', { params: { query: { limit: 2 } } }), 200);
    expect(first.tokens.map((t) => t.id)).toEqual(newestFirst.slice(0, 2));
    expect(first.nextCursor).toBe(newestFirst[1]);
    // The cursor goes back exactly as it came: the types take the integer the server sent.
    const page = (cursor: number) => answerOf(client.GET('/tokens', { params: { query: { limit: 2, cursor } } }), 200);
    const second = await page(first.nextCursor!);
    expect(second.tokens.map((t) => t.id)).toEqual(newestFirst.slice(2, 4));
    const third = await page(second.nextCursor!);
    expect(third.tokens.map((t) => t.id)).toEqual(newestFirst.slice(4));
    expect(third.nextCursor).toBeNull();
  });

  it('returns at most 50 tokens when no limit is given', async () => {
    const dave = await server.createTestUser('Dave');
    let last: CreatedApiToken | undefined;
    for (let i = 0; i < 51; i++) last = await server.createTestToken(dave, { name: `dave ${i}` });
    const page = await answerOf(server.client(last!.token).GET('/tokens'), 200);
    expect(page.tokens).toHaveLength(50);
    expect(page.nextCursor).toBe(page.tokens[49]!.id);
  });

  it('shows a token past its expiry as expired', async () => {
    const erin = await server.createTestUser('Erin');
    const reader = await server.createTestToken(erin, { name: 'reader' });
    const shortLived = await server.createTestToken(erin, { name: 'short lived', expiresIn: 'SEVEN_DAYS' });
    server.clock.advance(8 * DAY);
    try {
      const page = await answerOf(server.client(reader.token).GET('/tokens'), 200);
      const listed = page.tokens.find((t) => t.id === shortLived.id);
      expect(listed?.status).toBe('expired');
      expect(listed?.expiresAt).toBe(ISO(START_TIME + 7 * DAY));
    } finally {
      server.clock.set(START_TIME);
    }
  });

  it('filters with ?status=active|expired and ?unusedForDays=N, as apiToken.getMany does', async () => {
    const frank = await server.createTestUser('Frank');
    const reader = await server.createTestToken(frank, { name: 'reader' });
    const week = await server.createTestToken(frank, { name: 'a week', expiresIn: 'SEVEN_DAYS' });
    server.clock.advance(10 * DAY);
    try {
      const client = server.client(reader.token);
      await answerOf(client.GET('/me'), 200);
      await server.lastUsed.flush();
      const ids = async (query: { status?: 'active' | 'expired'; unusedForDays?: number }) =>
        (await answerOf(client.GET('/tokens', { params: { query } }), 200)).tokens.map((t) => t.id);
      expect(await ids({})).toEqual([week.id, reader.id]);
      expect(await ids({ status: 'expired' })).toEqual([week.id]);
      expect(await ids({ status: 'active' })).toEqual([reader.id]);
      // The week token was never used and is 10 days old; the reader was used just now.
      expect(await ids({ unusedForDays: 5 })).toEqual([week.id]);
      expect(await ids({ unusedForDays: 11 })).toEqual([]);
      expect(await ids({ status: 'active', unusedForDays: 5 })).toEqual([]);
      const trpc = server.trpc();
      await trpc.auth.signIn.mutate({ email: frank.email, password: frank.password });
      expect((await trpc.apiToken.getMany.query({ status: 'expired' })).map((t) => t.id)).toEqual([week.id]);
    } finally {
      server.clock.set(START_TIME);
    }
  });

  it.each([
    ['status=bogus', 'status', 'status must be active or expired'],
    ['status=', 'status', 'status must be active or expired'],
    ['unusedForDays=0', 'unusedForDays', 'unusedForDays must be at least 1'],
    ['unusedForDays=3651', 'unusedForDays', 'unusedForDays must be at most 3650'],
    ['unusedForDays=1.5', 'unusedForDays', 'unusedForDays must be a number of days'],
    ['unusedForDays=ten', 'unusedForDays', 'unusedForDays must be a number of days'],
  ])('answers 400 naming the parameter for ?%s', async (query, path, message) => {
    const res = await server.api('GET', `/api/v1/tokens?${query}`, { token: aliceToken.token });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', issues: [{ path, message }] });
  });

  it('answers 403 to a token without tokens:read', async () => {
    const writer = await server.createTestToken(alice, { name: 'write only', scopes: ['tokens:write'] });
    const res = await server.api('GET', '/api/v1/tokens', { token: writer.token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'FORBIDDEN', message: 'This token lacks the scope tokens:read' });
  });

  it('answers 401 to an invalid token', async () => {
    const res = await server.api('GET', '/api/v1/tokens', { token: 'api_nope' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
  });
});

describe('POST /api/v1/tokens', () => {
  it('creates a token of the same owner and shows the plain token once', async () => {
    const bobClient = server.client(bobToken.token);
    const body = { name: '  ci deploy  ', expiresIn: 'ONE_MONTH' } as const;
    const created = await answerOf(bobClient.POST('/tokens', { body }), 201);
    expect(Object.keys(created).sort()).toEqual(CREATED_KEYS);
    expect(created).toMatchObject({
      name: 'ci deploy',
      scopes: ['tokens:read', 'tokens:write', 'audit:read'],
      createdAt: ISO(START_TIME),
      expiresAt: ISO(START_TIME + 30 * DAY),
    });
    expect(created.token).toMatch(TOKEN_REGEX);
    expect(created.start).toBe(created.token.slice(0, 8));

    const me = await answerOf(server.client(created.token).GET('/me'), 200);
    expect(me.user?.id).toBe(bob.id);
    const listed = await answerOf(bobClient.GET('/tokens/{id}', { params: { path: { id: created.id } } }), 200);
    expect(listed).not.toHaveProperty('token');
    const row = await server.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashSecret(created.token));
    expect(row.algorithm).toBe('sha256');
  });

  it('makes a team token when called with a team token', async () => {
    const teamClient = server.client(teamToken.token);
    const created = await answerOf(teamClient.POST('/tokens', { body: { name: 'acme second' } }), 201);
    const me = await answerOf(server.client(created.token).GET('/me'), 200);
    expect(me.team).toEqual({ id: team.id, name: 'Acme', slug: 'acme' });
  });

  it('gives the new token the requested subset of scopes', async () => {
    const body = { name: 'read only', scopes: ['tokens:read'] };
    const created = await answerOf(server.client(bobToken.token).POST('/tokens', { body }), 201);
    expect(created.scopes).toEqual(['tokens:read']);
    expect(created.expiresAt).toBeNull();
  });

  it('answers 400 with issues for an invalid name', async () => {
    const res = await server.api('POST', '/api/v1/tokens', { token: bobToken.token, body: { name: 'ab' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: 'INVALID_BODY',
      message: 'Name must be at least 3 characters',
      issues: [{ path: 'name', message: 'Name must be at least 3 characters' }],
    });
  });

  it('answers 400 for a scope the server does not know', async () => {
    const res = await server.api('POST', '/api/v1/tokens', {
      token: bobToken.token,
      body: { name: 'odd scope', scopes: ['invoices:read'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_BODY');
    expect(res.body.issues[0].path).toBe('scopes');
  });

  it('answers 403 to a token without tokens:write, and creates nothing', async () => {
    const reader = await server.createTestToken(bob, { name: 'reader', scopes: ['tokens:read'] });
    const before = await server.api('GET', '/api/v1/tokens?limit=100', { token: reader.token });
    const res = await server.api('POST', '/api/v1/tokens', { token: reader.token, body: { name: 'not allowed' } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'FORBIDDEN', message: 'This token lacks the scope tokens:write' });
    const after = await server.api('GET', '/api/v1/tokens?limit=100', { token: reader.token });
    expect(after.body.tokens).toEqual(before.body.tokens);
  });

  it('answers 401 without a token', async () => {
    const res = await server.api('POST', '/api/v1/tokens', { body: { name: 'anonymous' } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 'UNAUTHORIZED', message: 'API token was not provided' });
  });
});

describe('GET /api/v1/tokens/:id', () => {
  it("returns one token's metadata", async () => {
    const client = server.client(aliceToken.token);
    const one = await answerOf(client.GET('/tokens/{id}', { params: { path: { id: aliceToken.id } } }), 200);
    expect(Object.keys(one).sort()).toEqual(METADATA_KEYS);
    expect(one).toMatchObject({ id: aliceToken.id, name: 'alice main', status: 'active' });
    expect(one.createdBy).toEqual({ id: alice.id, name: 'Alice' });
  });

  it('accepts `self` for the token making the request', async () => {
    const client = server.client(teamToken.token);
    const self = await answerOf(client.GET('/tokens/{id}', { params: { path: { id: 'self' } } }), 200);
    expect(self.id).toBe(teamToken.id);
    expect(self.name).toBe('acme deploy');
  });

  it("answers 404 for another owner's token, exactly as for an unknown id", async () => {
    const client = server.client(aliceToken.token);
    const foreign = await errorOf(client.GET('/tokens/{id}', { params: { path: { id: bobToken.id } } }), 404);
    const unknown = await errorOf(client.GET('/tokens/{id}', { params: { path: { id: 999_999 } } }), 404);
    expect(foreign).toEqual({ code: 'NOT_FOUND', message: 'API token not found' });
    expect(unknown).toEqual(foreign);
  });

  it('answers 400 for an id that is not a number or `self`', async () => {
    const res = await server.api('GET', '/api/v1/tokens/abc', { token: aliceToken.token });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
    expect(res.body.message).toBe('Token id must be a positive whole number or `self`');
  });

  it('answers 403 to a token without tokens:read', async () => {
    const writer = await server.createTestToken(alice, { name: 'writer', scopes: ['tokens:write'] });
    const res = await server.api('GET', '/api/v1/tokens/self', { token: writer.token });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
  });
});

describe('DELETE /api/v1/tokens/:id', () => {
  it('deletes a token: 204, gone from the listing, and it stops working', async () => {
    const doomed = await server.createTestToken(bob, { name: 'doomed' });
    const bobClient = server.client(bobToken.token);
    const { response } = await bobClient.DELETE('/tokens/{id}', { params: { path: { id: doomed.id } } });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    const list = await answerOf(bobClient.GET('/tokens', { params: { query: { limit: 100 } } }), 200);
    expect(list.tokens.map((t) => t.id)).not.toContain(doomed.id);
    const use = await server.api('GET', '/api/v1/me', { token: doomed.token });
    expect(use.status).toBe(401);
    expect(use.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
  });

  it('deletes the requesting token itself with `self`', async () => {
    const self = await server.createTestToken(bob, { name: 'self destruct' });
    await answerOf(server.client(self.token).DELETE('/tokens/{id}', { params: { path: { id: 'self' } } }), 204);
    expect((await server.api('GET', '/api/v1/me', { token: self.token })).status).toBe(401);
    expect((await server.api('GET', '/api/v1/me', { token: bobToken.token })).status).toBe(200);
  });

  it("answers 404 for another owner's token and leaves it working", async () => {
    const client = server.client(aliceToken.token);
    const error = await errorOf(client.DELETE('/tokens/{id}', { params: { path: { id: bobToken.id } } }), 404);
    expect(error).toEqual({ code: 'NOT_FOUND', message: 'API token not found' });
    expect((await server.api('GET', '/api/v1/me', { token: bobToken.token })).status).toBe(200);
  });

  it('answers 404 for a token already deleted', async () => {
    const doomed = await server.createTestToken(bob, { name: 'twice' });
    const bobClient = server.client(bobToken.token);
    await answerOf(bobClient.DELETE('/tokens/{id}', { params: { path: { id: doomed.id } } }), 204);
    const again = await errorOf(bobClient.DELETE('/tokens/{id}', { params: { path: { id: doomed.id } } }), 404);
    expect(again.code).toBe('NOT_FOUND');
  });

  it('answers 403 to a token without tokens:write, and deletes nothing', async () => {
    const reader = await server.createTestToken(bob, { name: 'reader two', scopes: ['tokens:read'] });
    const res = await server.api('DELETE', '/api/v1/tokens/self', { token: reader.token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'FORBIDDEN', message: 'This token lacks the scope tokens:write' });
    expect((await server.api('GET', '/api/v1/me', { token: reader.token })).status).toBe(200);
  });

  it('answers 400 for a bad id', async () => {
    const res = await server.api('DELETE', '/api/v1/tokens/0', { token: bobToken.token });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
  });
});

describe('POST /api/v1/tokens/:id/rotate', () => {
  it('replaces a token with one of the same name, scopes and lifetime length; the old one stops at once', async () => {
    const old = await server.createTestToken(bob, {
      name: 'rotate me',
      expiresIn: 'ONE_MONTH',
      scopes: ['tokens:read'],
    });
    server.clock.advance(DAY);
    try {
      const client = server.client(bobToken.token);
      const rotated = await answerOf(client.POST('/tokens/{id}/rotate', { params: { path: { id: old.id } } }), 201);
      expect(Object.keys(rotated).sort()).toEqual([...CREATED_KEYS, 'previousTokenStopsAt'].sort());
      expect(rotated).toMatchObject({
        name: 'rotate me',
        scopes: ['tokens:read'],
        createdAt: ISO(START_TIME + DAY),
        expiresAt: ISO(START_TIME + DAY + 30 * DAY),
        previousTokenStopsAt: ISO(START_TIME + DAY),
      });
      expect(rotated.id).not.toBe(old.id);
      expect(rotated.token).toMatch(TOKEN_REGEX);
      await answerOf(server.client(rotated.token).GET('/me'), 200);
      const oldUse = await server.api('GET', '/api/v1/me', { token: old.token });
      expect(oldUse.status).toBe(401);
      expect(oldUse.body.message).toBe('Invalid token');
    } finally {
      server.clock.set(START_TIME);
    }
  });

  it('keeps the old token working until the grace period ends', async () => {
    const old = await server.createTestToken(bob, { name: 'graceful' });
    const client = server.client(bobToken.token);
    const params = { path: { id: old.id } };
    const rotated = await answerOf(
      client.POST('/tokens/{id}/rotate', { params, body: { gracePeriodSeconds: 3600 } }),
      201,
    );
    try {
      server.clock.advance(3600_000 - 1);
      expect((await server.api('GET', '/api/v1/me', { token: old.token })).status).toBe(200);
      server.clock.advance(1);
      const after = await server.api('GET', '/api/v1/me', { token: old.token });
      expect(after.status).toBe(401);
      expect(after.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
      await answerOf(server.client(rotated.token).GET('/me'), 200);
    } finally {
      server.clock.set(START_TIME);
    }
  });

  it('rotates the requesting token itself with `self`', async () => {
    const self = await server.createTestToken(bob, { name: 'self rotate' });
    const client = server.client(self.token);
    const rotated = await answerOf(client.POST('/tokens/{id}/rotate', { params: { path: { id: 'self' } } }), 201);
    expect(rotated.name).toBe('self rotate');
    expect((await server.api('GET', '/api/v1/me', { token: self.token })).status).toBe(401);
    await answerOf(server.client(rotated.token).GET('/me'), 200);
  });

  it("answers 404 for another owner's token and leaves it working", async () => {
    const client = server.client(aliceToken.token);
    const rotate = client.POST('/tokens/{id}/rotate', { params: { path: { id: bobToken.id } } });
    expect(await errorOf(rotate, 404)).toEqual({ code: 'NOT_FOUND', message: 'API token not found' });
    expect((await server.api('GET', '/api/v1/me', { token: bobToken.token })).status).toBe(200);
  });

  it('answers 400 for a grace period outside 0…604800 seconds', async () => {
    for (const gracePeriodSeconds of [-1, 604_801, 1.5, '60']) {
      const res = await server.api('POST', `/api/v1/tokens/${aliceToken.id}/rotate`, {
        token: aliceToken.token,
        body: { gracePeriodSeconds },
      });
      expect(res.status, JSON.stringify(gracePeriodSeconds)).toBe(400);
      expect(res.body.code).toBe('INVALID_BODY');
      expect(res.body.issues[0].path).toBe('gracePeriodSeconds');
    }
    expect((await server.api('GET', '/api/v1/me', { token: aliceToken.token })).status).toBe(200);
  });

  it('answers 403 to a token without tokens:write', async () => {
    const reader = await server.createTestToken(bob, { name: 'reader three', scopes: ['tokens:read'] });
    const res = await server.api('POST', '/api/v1/tokens/self/rotate', { token: reader.token });
    expect(res.status).toBe(403);
    expect((await server.api('GET', '/api/v1/me', { token: reader.token })).status).toBe(200);
  });

  it('lists a token in its grace period as retiring, expiresAt when it stops, and will not rotate it', async () => {
    const frank = await server.createTestUser('Frank');
    const caller = await server.createTestToken(frank, { name: 'caller' });
    const old = await server.createTestToken(frank, { name: 'twin', expiresIn: 'ONE_YEAR' });
    const client = server.client(caller.token);
    const params = { path: { id: old.id } };
    const rotated = await answerOf(
      client.POST('/tokens/{id}/rotate', { params, body: { gracePeriodSeconds: 3600 } }),
      201,
    );
    const page = await answerOf(client.GET('/tokens'), 200);
    const twins = page.tokens.filter((t) => t.name === 'twin').map((t) => [t.id, t.status, t.expiresAt]);
    expect(twins).toEqual([
      [rotated.id, 'active', ISO(START_TIME + 365 * DAY)],
      [old.id, 'retiring', ISO(START_TIME + 3600_000)],
    ]);
    const again = client.POST('/tokens/{id}/rotate', { params });
    expect(await errorOf(again, 400)).toEqual({
      code: 'INVALID_REQUEST',
      message: 'This token was already rotated and is retiring; use its successor, or create a new token instead',
    });
    expect((await answerOf(client.GET('/tokens'), 200)).tokens.filter((t) => t.name === 'twin')).toHaveLength(2);
  });

  it('answers 400 to rotating an expired token and gives it no fresh life', async () => {
    const grace = await server.createTestUser('Grace');
    const caller = await server.createTestToken(grace, { name: 'caller' });
    const lapsed = await server.createTestToken(grace, { name: 'lapsed', expiresIn: 'SEVEN_DAYS' });
    server.clock.advance(8 * DAY);
    try {
      const client = server.client(caller.token);
      const rotate = client.POST('/tokens/{id}/rotate', { params: { path: { id: lapsed.id } } });
      expect(await errorOf(rotate, 400)).toEqual({
        code: 'INVALID_REQUEST',
        message: 'This token has expired and cannot be rotated; create a new token instead',
      });
      const page = await answerOf(client.GET('/tokens'), 200);
      expect(page.tokens.map((t) => [t.name, t.status])).toEqual([
        ['lapsed', 'expired'],
        ['caller', 'active'],
      ]);
    } finally {
      server.clock.set(START_TIME);
    }
  });

  it('answers 401 for a deleted token', async () => {
    const doomed = await server.createTestToken(bob, { name: 'gone' });
    await server.api('DELETE', '/api/v1/tokens/self', { token: doomed.token });
    const res = await server.api('POST', '/api/v1/tokens/self/rotate', { token: doomed.token });
    expect(res.status).toBe(401);
  });
});

describe('unknown query parameters', () => {
  // `limit` is a parameter of the two lists, and unknown everywhere else.
  const ALL = ['staus', 'limit', 'x-debug'];
  const ALL_BUT_LIMIT = ['staus', 'x-debug'];
  it.each([
    ['GET', '/api/v1/me', ALL],
    ['GET', '/api/v1/tokens', ALL_BUT_LIMIT],
    ['POST', '/api/v1/tokens', ALL],
    ['GET', '/api/v1/tokens/self', ALL],
    ['DELETE', '/api/v1/tokens/self', ALL],
    ['POST', '/api/v1/tokens/self/rotate', ALL],
    ['GET', '/api/v1/tokens/self/usage', ALL],
    ['GET', '/api/v1/audit-events', ALL_BUT_LIMIT],
    ['POST', '/api/v1/credentials/revoke', ALL],
    ['GET', '/api/v1/openapi.json', ALL],
  ] as const)('%s %s answers 400 INVALID_REQUEST naming them, and changes nothing', async (method, path, unknown) => {
    const user = await server.createTestUser('Query');
    const token = await server.createTestToken(user, { name: 'query typo' });
    const body = method === 'POST' ? (path.endsWith('/tokens') ? { name: 'typo' } : { credentials: ['x'] }) : undefined;
    const res = await server.api(method, `${path}?staus=active&limit=5&x-debug`, { token: token.token, body });
    expect(res.status).toBe(400);
    const issues = unknown.map((name) => ({ path: name, message: `Unknown query parameter "${name}"` }));
    expect(res.body).toEqual({ code: 'INVALID_REQUEST', message: issues[0]!.message, issues });
    // Nothing happened: the token still works and is the owner's only one.
    const list = await server.api('GET', '/api/v1/tokens', { token: token.token });
    expect(list.body.tokens.map((t: { id: number }) => t.id)).toEqual([token.id]);
  });
});

describe('GET /api/v1/openapi.json, /api/docs and /api/health', () => {
  it('serves the OpenAPI document without a token', async () => {
    const res = await server.api('GET', '/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths).sort()).toEqual([
      '/audit-events',
      '/credentials/revoke',
      '/me',
      '/openapi.json',
      '/tokens',
      '/tokens/{id}',
      '/tokens/{id}/rotate',
      '/tokens/{id}/usage',
    ]);
  });

  it('serves the API reference page with its renderer from this server only (no CDN, no inline script)', async () => {
    const res = await server.request('/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(body?.trim(), 'inline script').toBe('');
      const src = /src="([^"]+)"/.exec(attributes!)?.[1];
      // The one script without a source is the renderer's configuration, held in data attributes.
      if (src === undefined) {
        expect(attributes).toContain('data-url="/api/v1/openapi.json"');
        continue;
      }
      expect(src).toMatch(/^\/api\/docs\//);
      const asset = await server.request(src);
      expect(asset.status, src).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
    }
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('answers {"status":"ok"} while the database answers', async () => {
    const res = await server.api('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers 503 when the database does not', async () => {
    const broken = await startServer();
    try {
      await broken.db.destroy();
      const res = await broken.api('GET', '/api/health');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'unavailable' });
    } finally {
      await broken.close().catch(() => {});
    }
  });
});

describe('logs', () => {
  it('hold request lines at debug level but no plain token, password or session id', () => {
    expect(server.app.logger.level).toBe('debug');
    expect(server.logs.length).toBeGreaterThan(50);
    expect(server.logs.some((line) => line.includes('"msg":"request"'))).toBe(true);
    expect(server.secrets.size).toBeGreaterThan(10);
    expect(server.leakedSecrets()).toEqual([]);
  });
});
