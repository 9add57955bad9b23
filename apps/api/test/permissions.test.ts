// Who may do what: scopes and lifetimes a token cannot exceed, owners that cannot see each other's
// tokens, and team roles on team tokens. Every refusal leaves the data as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamMember, type CreatedApiToken, type PublicTeam } from '@latchkey/lib';
import { DAY, START_TIME, startServer, trpcError, type TestServer } from './support/server';

const TEAM_ADMIN_REQUIRED = 'You need to be a team admin to manage API tokens';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

async function tokenIds(token: string): Promise<number[]> {
  const res = await server.api('GET', '/api/v1/tokens?limit=100', { token });
  expect(res.status).toBe(200);
  return res.body.tokens.map((t: { id: number }) => t.id);
}

describe('scopes over REST', () => {
  let user: Awaited<ReturnType<TestServer['createTestUser']>>;
  let full: CreatedApiToken;
  let readOnly: CreatedApiToken;
  let writeOnly: CreatedApiToken;

  beforeAll(async () => {
    user = await server.createTestUser('Scoped');
    full = await server.createTestToken(user, { name: 'full' });
    readOnly = await server.createTestToken(user, { name: 'read only', scopes: ['tokens:read'] });
    writeOnly = await server.createTestToken(user, { name: 'write only', scopes: ['tokens:write'] });
  });

  it('refuses every write to a token with only tokens:read (403), changing nothing', async () => {
    const before = await tokenIds(full.token);
    const attempts = [
      await server.api('POST', '/api/v1/tokens', { token: readOnly.token, body: { name: 'escalated' } }),
      await server.api('DELETE', `/api/v1/tokens/${full.id}`, { token: readOnly.token }),
      await server.api('POST', `/api/v1/tokens/${full.id}/rotate`, { token: readOnly.token }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ code: 'FORBIDDEN', message: 'This token lacks the scope tokens:write' });
    }
    expect(await tokenIds(full.token)).toEqual(before);
    expect((await server.api('GET', '/api/v1/me', { token: full.token })).status).toBe(200);
  });

  it('lets a token with only tokens:read read', async () => {
    expect((await server.api('GET', '/api/v1/tokens', { token: readOnly.token })).status).toBe(200);
    expect((await server.api('GET', `/api/v1/tokens/${full.id}`, { token: readOnly.token })).status).toBe(200);
  });

  it('refuses a token that grants scopes it lacks (403), creating nothing', async () => {
    const before = await tokenIds(full.token);
    for (const scopes of [['tokens:read'], ['tokens:read', 'tokens:write']]) {
      const res = await server.api('POST', '/api/v1/tokens', {
        token: writeOnly.token,
        body: { name: 'escalated', scopes },
      });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        code: 'FORBIDDEN',
        message: 'A token cannot grant scopes it does not have: tokens:read',
      });
    }
    expect(await tokenIds(full.token)).toEqual(before);
  });

  it("gives a token's child the parent's scopes when none are asked for", async () => {
    const res = await server.api('POST', '/api/v1/tokens', { token: writeOnly.token, body: { name: 'child' } });
    expect(res.status).toBe(201);
    expect(res.body.scopes).toEqual(['tokens:write']);
  });

  it('refuses to rotate a token holding scopes the rotating token lacks', async () => {
    const res = await server.api('POST', `/api/v1/tokens/${full.id}/rotate`, { token: writeOnly.token });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
    expect((await server.api('GET', '/api/v1/me', { token: full.token })).status).toBe(200);
  });
});

describe('lifetimes over REST', () => {
  let user: Awaited<ReturnType<TestServer['createTestUser']>>;
  let month: CreatedApiToken;

  beforeAll(async () => {
    user = await server.createTestUser('Lifetimes');
    month = await server.createTestToken(user, { name: 'a month', expiresIn: 'ONE_MONTH' });
  });

  it('refuses a ONE_MONTH token creating a NEVER or ONE_YEAR token (403)', async () => {
    const before = await tokenIds(month.token);
    for (const body of [
      { name: 'forever', expiresIn: 'NEVER' },
      { name: 'a year', expiresIn: 'ONE_YEAR' },
    ]) {
      const res = await server.api('POST', '/api/v1/tokens', { token: month.token, body });
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.body).toEqual({
        code: 'FORBIDDEN',
        message:
          'A token cannot create a token that outlives it; ' +
          'choose an earlier expiry, or leave expiresIn out to get the longest allowed',
      });
    }
    expect(await tokenIds(month.token)).toEqual(before);
  });

  it('gives a child of a ONE_MONTH token without expiresIn the longest lifetime allowed (201)', async () => {
    const res = await server.api('POST', '/api/v1/tokens', { token: month.token, body: { name: 'default lifetime' } });
    expect(res.status).toBe(201);
    expect(res.body.expiresAt).toBe(month.expiresAt!.toISOString());
    expect((await server.api('GET', '/api/v1/me', { token: res.body.token })).status).toBe(200);
  });

  it('lets a ONE_MONTH token create a token that ends no later than itself', async () => {
    const week = await server.api('POST', '/api/v1/tokens', {
      token: month.token,
      body: { name: 'a week', expiresIn: 'SEVEN_DAYS' },
    });
    expect(week.status).toBe(201);
    const sameEnd = await server.api('POST', '/api/v1/tokens', {
      token: month.token,
      body: { name: 'same end', expiresIn: 'ONE_MONTH' },
    });
    expect(sameEnd.status).toBe(201);
    expect(sameEnd.body.expiresAt).toBe(new Date(START_TIME + 30 * DAY).toISOString());
  });

  it('refuses a ONE_MONTH child once the parent has aged, as the child would outlive it', async () => {
    server.clock.advance(DAY);
    try {
      const res = await server.api('POST', '/api/v1/tokens', {
        token: month.token,
        body: { name: 'too late', expiresIn: 'ONE_MONTH' },
      });
      expect(res.status).toBe(403);
    } finally {
      server.clock.set(START_TIME);
    }
  });

  it(
    'a ONE_MONTH token rotating a NEVER token gives one that ends when the rotating token does; ' +
      'rotating itself gives another whole month',
    async () => {
      const forever = await server.createTestToken(user, { name: 'forever' });
      server.clock.advance(DAY);
      try {
        const capped = await server.api('POST', `/api/v1/tokens/${forever.id}/rotate`, { token: month.token });
        expect(capped.status).toBe(201);
        expect(capped.body.expiresAt).toBe(month.expiresAt!.toISOString());
        expect((await server.api('GET', '/api/v1/me', { token: forever.token })).status).toBe(401);

        const own = await server.api('POST', '/api/v1/tokens/self/rotate', { token: month.token });
        expect(own.status).toBe(201);
        expect(own.body.expiresAt).toBe(new Date(START_TIME + DAY + 30 * DAY).toISOString());
        month = { ...month, id: own.body.id, token: own.body.token };
      } finally {
        server.clock.set(START_TIME);
      }
    },
  );
});

describe("another owner's tokens over REST", () => {
  it('are 404 for read, delete and rotate, and stay unchanged', async () => {
    const mallory = await server.createTestUser('Mallory');
    const victim = await server.createTestUser('Victim');
    const attacker = await server.createTestToken(mallory, { name: 'attacker' });
    const target = await server.createTestToken(victim, { name: 'target' });
    const team = await server.createTestTeam(victim, 'Victim Team');
    const teamTarget = await server.createTestToken(victim, { teamId: team.id, name: 'team target' });
    const before = await server.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', 'in', [target.id, teamTarget.id])
      .orderBy('id')
      .execute();

    for (const id of [target.id, teamTarget.id]) {
      for (const [method, path] of [
        ['GET', `/api/v1/tokens/${id}`],
        ['DELETE', `/api/v1/tokens/${id}`],
        ['POST', `/api/v1/tokens/${id}/rotate`],
      ] as const) {
        const res = await server.api(method, path, { token: attacker.token });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body).toEqual({ code: 'NOT_FOUND', message: 'API token not found' });
      }
    }
    const after = await server.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', 'in', [target.id, teamTarget.id])
      .orderBy('id')
      .execute();
    expect(after).toEqual(before);
    expect(await tokenIds(attacker.token)).toEqual([attacker.id]);
  });

  it("keeps a user's personal token away from their team's tokens", async () => {
    const admin = await server.createTestUser('Admin');
    const team = await server.createTestTeam(admin, 'Split Team');
    const personal = await server.createTestToken(admin, { name: 'personal' });
    const teamToken = await server.createTestToken(admin, { teamId: team.id, name: 'team' });
    expect((await server.api('DELETE', `/api/v1/tokens/${teamToken.id}`, { token: personal.token })).status).toBe(404);
    expect((await server.api('DELETE', `/api/v1/tokens/${personal.id}`, { token: teamToken.token })).status).toBe(404);
    expect((await server.api('GET', '/api/v1/me', { token: teamToken.token })).status).toBe(200);
    expect((await server.api('GET', '/api/v1/me', { token: personal.token })).status).toBe(200);
  });
});

describe('team tokens over tRPC', () => {
  let team: PublicTeam;
  let admin: ReturnType<TestServer['trpc']>;
  let manager: ReturnType<TestServer['trpc']>;
  let member: ReturnType<TestServer['trpc']>;
  let outsider: ReturnType<TestServer['trpc']>;
  let teamTokenId: number;

  beforeAll(async () => {
    const signIn = async (name: string) => {
      const user = await server.createTestUser(name);
      const client = server.trpc();
      await client.auth.signIn.mutate({ email: user.email, password: user.password });
      return { user, client };
    };
    const a = await signIn('Team Admin');
    const m = await signIn('Team Manager');
    const b = await signIn('Team Member');
    const o = await signIn('Outsider');
    admin = a.client;
    manager = m.client;
    member = b.client;
    outsider = o.client;
    team = await admin.team.create.mutate({ name: 'Roles', slug: 'roles' });
    await addTeamMember({
      db: server.db,
      clock: server.clock,
      userId: a.user.id,
      teamId: team.id,
      email: m.user.email,
      role: 'MANAGER',
    });
    await addTeamMember({
      db: server.db,
      clock: server.clock,
      userId: a.user.id,
      teamId: team.id,
      email: b.user.email,
      role: 'MEMBER',
    });
    teamTokenId = (await admin.apiToken.create.mutate({ teamId: team.id, name: 'team deploy' })).id;
  });

  it('lets the ADMIN list, create, rotate and delete them', async () => {
    expect((await admin.apiToken.getMany.query({ teamId: team.id })).map((t) => t.id)).toEqual([teamTokenId]);
    const created = await admin.apiToken.create.mutate({ teamId: team.id, name: 'admin made' });
    const rotated = await admin.apiToken.rotate.mutate({ teamId: team.id, id: created.id });
    await admin.apiToken.delete.mutate({ teamId: team.id, id: rotated.id });
    expect((await admin.apiToken.getMany.query({ teamId: team.id })).map((t) => t.id)).toEqual([teamTokenId]);
  });

  for (const role of ['MANAGER', 'MEMBER'] as const) {
    it(`refuses a ${role} every team-token procedure with FORBIDDEN, changing nothing`, async () => {
      const client = role === 'MANAGER' ? manager : member;
      const before = await server.db.selectFrom('api_tokens').selectAll().where('team_id', '=', team.id).execute();
      const calls = [
        () => client.apiToken.getMany.query({ teamId: team.id }),
        () => client.apiToken.create.mutate({ teamId: team.id, name: 'not allowed' }),
        () => client.apiToken.rotate.mutate({ teamId: team.id, id: teamTokenId }),
        () => client.apiToken.delete.mutate({ teamId: team.id, id: teamTokenId }),
      ];
      for (const call of calls) {
        const error = await trpcError(call());
        expect(error.code).toBe('FORBIDDEN');
        expect(error.httpStatus).toBe(403);
        expect(error.message).toBe(TEAM_ADMIN_REQUIRED);
      }
      expect(await server.db.selectFrom('api_tokens').selectAll().where('team_id', '=', team.id).execute()).toEqual(
        before,
      );
    });
  }

  it('answers NOT_FOUND to someone outside the team', async () => {
    for (const call of [
      () => outsider.apiToken.getMany.query({ teamId: team.id }),
      () => outsider.apiToken.delete.mutate({ teamId: team.id, id: teamTokenId }),
    ]) {
      const error = await trpcError(call());
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toBe('Team not found');
    }
  });

  it("answers NOT_FOUND for another owner's token id, leaving it in place", async () => {
    const mine = await outsider.apiToken.create.mutate({ name: 'outsider own' });
    for (const call of [
      () => outsider.apiToken.delete.mutate({ id: teamTokenId }),
      () => outsider.apiToken.rotate.mutate({ id: teamTokenId }),
    ]) {
      const error = await trpcError(call());
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toBe('API token not found');
    }
    // Nor can the team ADMIN reach a personal token of someone else through the team.
    const error = await trpcError(admin.apiToken.delete.mutate({ teamId: team.id, id: mine.id }));
    expect(error.code).toBe('NOT_FOUND');
    expect((await admin.apiToken.getMany.query({ teamId: team.id })).map((t) => t.id)).toEqual([teamTokenId]);
    expect((await outsider.apiToken.getMany.query()).map((t) => t.id)).toEqual([mine.id]);
  });
});

describe('logs', () => {
  it('hold no plain token, password or session id', () => {
    expect(server.logs.length).toBeGreaterThan(10);
    expect(server.leakedSecrets()).toEqual([]);
  });
});
