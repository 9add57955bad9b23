// Every tRPC procedure through the typed client, with the session cookie carried between calls:
// what it returns, and the tRPC error codes it answers with.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMON_PASSWORD_MESSAGE, TOKEN_REGEX } from '@latchkey/lib';
import { DAY, START_TIME, startServer, trpcError, type TestServer } from './support/server';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

let emailCount = 0;
function newAccount(name = 'Person') {
  const password = `correct horse ${++emailCount} battery`;
  server.remember(password);
  return { name, email: `person${emailCount}@example.com`, password };
}

async function signedUp(name = 'Person') {
  const account = newAccount(name);
  const client = server.trpc();
  const { user } = await client.auth.signUp.mutate(account);
  return { client, user, account };
}

describe('auth.signUp', () => {
  it('creates the user, returns it and signs them in with the cookie', async () => {
    const account = newAccount('Ada');
    const client = server.trpc();
    const { user } = await client.auth.signUp.mutate({ ...account, email: `  ${account.email.toUpperCase()} ` });
    expect(user).toEqual({ id: expect.any(Number), name: 'Ada', email: account.email });
    expect(server.jarOf(client).session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await client.auth.me.query()).toEqual({ user });
  });

  it('answers BAD_REQUEST to a password under 10 characters, an invalid e-mail or an empty name', async () => {
    const client = server.trpc();
    for (const password of ['12345678', 'password', 'nine9nine']) {
      const short = await trpcError(
        client.auth.signUp.mutate({ name: 'Shorty', email: 'shorty@example.com', password }),
      );
      expect(short).toMatchObject({
        code: 'BAD_REQUEST',
        httpStatus: 400,
        message: 'Password must be at least 10 characters',
      });
      expect(short.issues).toEqual([{ path: 'password', message: 'Password must be at least 10 characters' }]);
    }
    expect(
      (await trpcError(client.auth.signUp.mutate({ name: 'Mail', email: 'not-an-email', password: 'long enough' })))
        .code,
    ).toBe('BAD_REQUEST');
    expect(
      (await trpcError(client.auth.signUp.mutate({ name: '   ', email: 'blank@example.com', password: 'long enough' })))
        .code,
    ).toBe('BAD_REQUEST');
    expect(server.jarOf(client).session).toBeNull();
  });

  it('answers BAD_REQUEST, on the password, to one of the 10,000 most common passwords', async () => {
    const client = server.trpc();
    for (const password of ['qwertyuiop', '1234567890', 'Password123']) {
      const common = await trpcError(
        client.auth.signUp.mutate({ name: 'Common', email: 'common@example.com', password }),
      );
      expect(common).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, message: COMMON_PASSWORD_MESSAGE });
      expect(common.issues).toEqual([{ path: 'password', message: COMMON_PASSWORD_MESSAGE }]);
    }
    expect(server.jarOf(client).session).toBeNull();
    expect(
      await server.db.selectFrom('users').select('id').where('email', '=', 'common@example.com').execute(),
    ).toEqual([]);
  });

  it('answers CONFLICT to an e-mail already taken', async () => {
    const { account } = await signedUp('First');
    const error = await trpcError(server.trpc().auth.signUp.mutate({ ...account, name: 'Second' }));
    expect(error).toMatchObject({ code: 'CONFLICT', message: 'An account with this e-mail already exists' });
  });

  it('answers FORBIDDEN when ALLOW_SIGNUP is false', async () => {
    const closed = await startServer({ config: { allowSignup: false } });
    try {
      const account = newAccount('Late');
      closed.remember(account.password);
      const error = await trpcError(closed.trpc().auth.signUp.mutate(account));
      expect(error).toMatchObject({ code: 'FORBIDDEN', message: 'Sign-up is closed on this server' });
      expect(await closed.db.selectFrom('users').selectAll().execute()).toEqual([]);
    } finally {
      await closed.close();
    }
  });
});

describe('auth.signIn', () => {
  it('returns the user and sets a new session cookie', async () => {
    const { user, account } = await signedUp('Returning');
    const client = server.trpc();
    expect(await client.auth.signIn.mutate({ email: account.email, password: account.password })).toEqual({ user });
    expect(await client.auth.me.query()).toEqual({ user });
  });

  it('answers UNAUTHORIZED with one message for a wrong password and an unknown e-mail', async () => {
    const { account } = await signedUp('Careful');
    server.remember('wrong-password');
    const client = server.trpc();
    const wrong = await trpcError(client.auth.signIn.mutate({ email: account.email, password: 'wrong-password' }));
    const unknown = await trpcError(
      client.auth.signIn.mutate({ email: 'nobody@example.com', password: 'wrong-password' }),
    );
    expect(wrong).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401, message: 'Invalid e-mail or password' });
    expect(unknown).toMatchObject({ code: 'UNAUTHORIZED', message: 'Invalid e-mail or password' });
    expect(server.jarOf(client).session).toBeNull();
  });

  it('answers UNAUTHORIZED to a disabled account', async () => {
    const { account, user } = await signedUp('Disabled');
    await server.db.updateTable('users').set({ disabled_at: server.clock.now() }).where('id', '=', user.id).execute();
    const error = await trpcError(
      server.trpc().auth.signIn.mutate({ email: account.email, password: account.password }),
    );
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', message: 'This account is disabled' });
  });

  it('answers BAD_REQUEST to input of the wrong type', async () => {
    const error = await trpcError(
      server.trpc().auth.signIn.mutate({ email: 42 as unknown as string, password: 'whatever1' }),
    );
    expect(error.code).toBe('BAD_REQUEST');
  });
});

describe('auth.signOut', () => {
  it('ends the session and clears the cookie', async () => {
    const { client } = await signedUp('Leaving');
    const res = await client.auth.signOut.mutate();
    expect(res).toEqual({ ok: true });
    expect(server.jarOf(client).session).toBeNull();
    expect(await client.auth.me.query()).toEqual({ user: null });
  });

  it('succeeds without a session too', async () => {
    expect(await server.trpc().auth.signOut.mutate()).toEqual({ ok: true });
  });
});

describe('account settings: auth.changePassword, auth.sessions, auth.signOutOthers', () => {
  it('lists the sessions with the current one marked, and signs out everywhere else', async () => {
    const { client, account } = await signedUp('Two Devices');
    const other = server.trpc();
    await other.auth.signIn.mutate({ email: account.email, password: account.password });
    const sessions = await client.auth.sessions.query();
    expect(sessions.map((s) => s.current)).toEqual([false, true]);
    expect(sessions[0]!.createdAt).toBeInstanceOf(Date);
    expect(await client.auth.signOutOthers.mutate()).toEqual({ ended: 1 });
    expect(await other.auth.me.query()).toEqual({ user: null });
    expect((await client.auth.me.query()).user).not.toBeNull();
    expect(await trpcError(server.trpc().auth.sessions.query())).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('changes the password with the current one; other sessions end; a wrong current one is BAD_REQUEST', async () => {
    const { client, account } = await signedUp('Changer');
    const other = server.trpc();
    await other.auth.signIn.mutate({ email: account.email, password: account.password });
    const newPassword = 'seven purple elephants dance';
    server.remember(newPassword);
    server.remember('not the password');
    const wrong = await trpcError(
      client.auth.changePassword.mutate({ currentPassword: 'not the password', newPassword }),
    );
    expect(wrong).toMatchObject({ code: 'BAD_REQUEST', message: 'The current password is not right' });
    expect(wrong.issues).toEqual([{ path: 'currentPassword', message: 'The current password is not right' }]);
    expect(await client.auth.changePassword.mutate({ currentPassword: account.password, newPassword })).toEqual({
      endedSessions: 1,
    });
    expect(await other.auth.me.query()).toEqual({ user: null });
    expect((await client.auth.me.query()).user).not.toBeNull();
    const again = server.trpc();
    expect(
      await trpcError(again.auth.signIn.mutate({ email: account.email, password: account.password })),
    ).toMatchObject({ code: 'UNAUTHORIZED' });
    await again.auth.signIn.mutate({ email: account.email, password: newPassword });
  });
});

describe('team.rename and team.delete', () => {
  it('lets an ADMIN rename and delete a team, revoking its tokens; FORBIDDEN to a member', async () => {
    const { client: admin } = await signedUp('Team Owner');
    const { client: member, account: memberAccount } = await signedUp('Team Member');
    const team = await admin.team.create.mutate({ name: 'Old name', slug: `old-name-${emailCount}` });
    await admin.team.members.add.mutate({ teamId: team.id, email: memberAccount.email, role: 'MEMBER' });
    expect(await trpcError(member.team.rename.mutate({ teamId: team.id, name: 'Mine now' }))).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await admin.team.rename.mutate({ teamId: team.id, name: 'New name' })).toEqual({
      ...team,
      name: 'New name',
    });
    const token = await admin.apiToken.create.mutate({ teamId: team.id, name: 'team deploy' });
    expect(await trpcError(member.team.delete.mutate({ teamId: team.id }))).toMatchObject({ code: 'FORBIDDEN' });
    expect(await admin.team.delete.mutate({ teamId: team.id })).toEqual({ revokedTokens: 1 });
    expect((await server.api('GET', '/api/v1/me', { token: token.token })).status).toBe(401);
    expect(await member.team.getMany.query()).toEqual([]);
  });
});

describe('auth.me', () => {
  it('is null without a session', async () => {
    expect(await server.trpc().auth.me.query()).toEqual({ user: null });
  });

  it('is null once the session has expired after 30 days', async () => {
    const { client, user } = await signedUp('Expiring');
    try {
      server.clock.set(START_TIME + 30 * DAY - 1);
      expect(await client.auth.me.query()).toEqual({ user });
      server.clock.set(START_TIME + 30 * DAY);
      expect(await client.auth.me.query()).toEqual({ user: null });
      expect((await trpcError(client.apiToken.getMany.query())).code).toBe('UNAUTHORIZED');
    } finally {
      server.clock.set(START_TIME);
    }
  });

  it('is null once the user is disabled', async () => {
    const { client, user } = await signedUp('Soon Disabled');
    await server.db.updateTable('users').set({ disabled_at: server.clock.now() }).where('id', '=', user.id).execute();
    expect(await client.auth.me.query()).toEqual({ user: null });
  });
});

describe('team.create and team.getMany', () => {
  it('creates a team with its creator as ADMIN, and lists the caller’s teams with their role', async () => {
    const { client } = await signedUp('Founder');
    const team = await client.team.create.mutate({ name: ' Rocket Lab ', slug: 'Rocket-Lab' });
    expect(team).toEqual({ id: expect.any(Number), name: 'Rocket Lab', slug: 'rocket-lab' });
    expect(await client.team.getMany.query()).toEqual([{ ...team, role: 'ADMIN' }]);
  });

  it('answers CONFLICT to a slug already taken and BAD_REQUEST to a bad slug', async () => {
    const { client } = await signedUp('Slugger');
    await client.team.create.mutate({ name: 'Taken', slug: 'taken' });
    expect((await trpcError(client.team.create.mutate({ name: 'Again', slug: 'taken' }))).code).toBe('CONFLICT');
    const bad = await trpcError(client.team.create.mutate({ name: 'Bad', slug: '-bad slug-' }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.httpStatus).toBe(400);
  });

  it('answers UNAUTHORIZED without a session', async () => {
    const anonymous = server.trpc();
    expect((await trpcError(anonymous.team.create.mutate({ name: 'Nope', slug: 'nope' }))).code).toBe('UNAUTHORIZED');
    const error = await trpcError(anonymous.team.getMany.query());
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401, message: 'Sign in first' });
  });
});

describe('team.members', () => {
  let admin: Awaited<ReturnType<typeof signedUp>>;
  let manager: Awaited<ReturnType<typeof signedUp>>;
  let member: Awaited<ReturnType<typeof signedUp>>;
  let outsider: Awaited<ReturnType<typeof signedUp>>;
  let teamId: number;

  beforeAll(async () => {
    admin = await signedUp('Admin');
    manager = await signedUp('Manager');
    member = await signedUp('Member');
    outsider = await signedUp('Outsider');
    teamId = (await admin.client.team.create.mutate({ name: 'Crew', slug: 'crew' })).id;
  });

  it('add: lets an ADMIN add existing users with a role', async () => {
    await admin.client.team.members.add.mutate({ teamId, email: manager.account.email, role: 'MANAGER' });
    await admin.client.team.members.add.mutate({ teamId, email: member.account.email.toUpperCase(), role: 'MEMBER' });
    expect(await member.client.team.getMany.query()).toEqual([
      { id: teamId, name: 'Crew', slug: 'crew', role: 'MEMBER' },
    ]);
  });

  it('getMany: lists the members with roles to any member, NOT_FOUND to others', async () => {
    const members = await member.client.team.members.getMany.query({ teamId });
    expect(members.map((m) => [m.userId, m.role])).toEqual([
      [admin.user.id, 'ADMIN'],
      [manager.user.id, 'MANAGER'],
      [member.user.id, 'MEMBER'],
    ]);
    expect(members[0]).toEqual({
      userId: admin.user.id,
      name: 'Admin',
      email: admin.account.email,
      role: 'ADMIN',
      createdAt: expect.any(Date),
      // How many team tokens each member made is for ADMINs, who manage them.
      teamTokenCount: null,
    });
    expect(await trpcError(outsider.client.team.members.getMany.query({ teamId }))).toMatchObject({
      code: 'NOT_FOUND',
      httpStatus: 404,
    });
  });

  it(
    'add: answers NOT_FOUND for an unknown e-mail, CONFLICT for a member, ' +
      'BAD_REQUEST for a bad role, FORBIDDEN to non-admins',
    async () => {
      expect(
        await trpcError(admin.client.team.members.add.mutate({ teamId, email: 'ghost@example.com', role: 'MEMBER' })),
      ).toMatchObject({
        code: 'NOT_FOUND',
        message: 'No user with that e-mail; they need to sign up first',
      });
      expect(
        (await trpcError(admin.client.team.members.add.mutate({ teamId, email: member.account.email, role: 'MEMBER' })))
          .code,
      ).toBe('CONFLICT');
      expect(
        (
          await trpcError(
            admin.client.team.members.add.mutate({ teamId, email: outsider.account.email, role: 'OWNER' as 'ADMIN' }),
          )
        ).code,
      ).toBe('BAD_REQUEST');
      for (const client of [manager.client, member.client]) {
        expect(
          await trpcError(client.team.members.add.mutate({ teamId, email: outsider.account.email, role: 'ADMIN' })),
        ).toMatchObject({
          code: 'FORBIDDEN',
          httpStatus: 403,
          message: 'You need to be a team admin to manage members',
        });
      }
      expect(
        (
          await trpcError(
            outsider.client.team.members.add.mutate({ teamId, email: outsider.account.email, role: 'ADMIN' }),
          )
        ).code,
      ).toBe('NOT_FOUND');
      expect((await admin.client.team.members.getMany.query({ teamId })).map((m) => m.userId)).not.toContain(
        outsider.user.id,
      );
    },
  );

  it('updateRole: lets an ADMIN change a role; FORBIDDEN to non-admins; NOT_FOUND for non-members', async () => {
    await admin.client.team.members.updateRole.mutate({ teamId, userId: member.user.id, role: 'MANAGER' });
    expect((await member.client.team.getMany.query())[0]!.role).toBe('MANAGER');
    await admin.client.team.members.updateRole.mutate({ teamId, userId: member.user.id, role: 'MEMBER' });
    expect(
      (
        await trpcError(
          manager.client.team.members.updateRole.mutate({ teamId, userId: manager.user.id, role: 'ADMIN' }),
        )
      ).code,
    ).toBe('FORBIDDEN');
    expect((await manager.client.team.getMany.query())[0]!.role).toBe('MANAGER');
    expect(
      (
        await trpcError(
          admin.client.team.members.updateRole.mutate({ teamId, userId: outsider.user.id, role: 'ADMIN' }),
        )
      ).code,
    ).toBe('NOT_FOUND');
  });

  it('updateRole: keeps at least one ADMIN', async () => {
    const error = await trpcError(
      admin.client.team.members.updateRole.mutate({ teamId, userId: admin.user.id, role: 'MEMBER' }),
    );
    expect(error).toMatchObject({ code: 'BAD_REQUEST', message: 'A team must keep at least one admin' });
    expect((await admin.client.team.getMany.query())[0]!.role).toBe('ADMIN');
  });

  it('remove: keeps at least one ADMIN, refuses non-admins, and removes a member', async () => {
    expect(await trpcError(admin.client.team.members.remove.mutate({ teamId, userId: admin.user.id }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'A team must keep at least one admin',
    });
    expect((await trpcError(member.client.team.members.remove.mutate({ teamId, userId: manager.user.id }))).code).toBe(
      'FORBIDDEN',
    );
    expect((await trpcError(admin.client.team.members.remove.mutate({ teamId, userId: outsider.user.id }))).code).toBe(
      'NOT_FOUND',
    );

    await admin.client.team.members.remove.mutate({ teamId, userId: member.user.id });
    expect(await member.client.team.getMany.query()).toEqual([]);
    expect((await trpcError(member.client.team.members.getMany.query({ teamId }))).code).toBe('NOT_FOUND');
  });

  it(
    'remove: revokes the team tokens the member made and says how many; ' +
      "getMany gives ADMINs each member's count beforehand",
    async () => {
      const alice = await signedUp('Alice');
      const frank = await signedUp('Frank');
      const team = await alice.client.team.create.mutate({ name: 'Departures', slug: 'departures' });
      await alice.client.team.members.add.mutate({ teamId: team.id, email: frank.account.email, role: 'ADMIN' });
      const franks = [
        await frank.client.apiToken.create.mutate({ teamId: team.id, name: 'Frank deploy' }),
        await frank.client.apiToken.create.mutate({ teamId: team.id, name: 'Frank CI' }),
      ];
      const alices = await alice.client.apiToken.create.mutate({ teamId: team.id, name: 'Alice deploy' });

      const listed = await alice.client.team.members.getMany.query({ teamId: team.id });
      expect(listed.map((m) => [m.name, m.teamTokenCount])).toEqual([
        ['Alice', 1],
        ['Frank', 2],
      ]);
      expect(await alice.client.team.members.remove.mutate({ teamId: team.id, userId: frank.user.id })).toEqual({
        revokedTokens: 2,
      });
      for (const token of franks)
        expect((await server.api('GET', '/api/v1/me', { token: token.token })).status).toBe(401);
      expect((await server.api('GET', '/api/v1/me', { token: alices.token })).status).toBe(200);
      const revoked = await alice.client.audit.getMany.query({ teamId: team.id, type: 'token.revoked' });
      expect(revoked.events.map((e) => [e.tokenId, e.details.reason, e.actor.id]).sort()).toEqual(
        franks.map((t) => [t.id, 'maker_left_team', alice.user.id]).sort(),
      );
    },
  );

  it('answers BAD_REQUEST to a teamId that is not a positive whole number', async () => {
    expect((await trpcError(admin.client.team.members.getMany.query({ teamId: -1 }))).code).toBe('BAD_REQUEST');
    expect((await trpcError(admin.client.team.members.getMany.query({ teamId: 'x' as unknown as number }))).code).toBe(
      'BAD_REQUEST',
    );
  });

  it('answers UNAUTHORIZED to every members procedure without a session', async () => {
    const anonymous = server.trpc();
    for (const call of [
      () => anonymous.team.members.getMany.query({ teamId }),
      () => anonymous.team.members.add.mutate({ teamId, email: outsider.account.email, role: 'MEMBER' }),
      () => anonymous.team.members.updateRole.mutate({ teamId, userId: admin.user.id, role: 'MEMBER' }),
      () => anonymous.team.members.remove.mutate({ teamId, userId: admin.user.id }),
    ]) {
      expect((await trpcError(call())).code).toBe('UNAUTHORIZED');
    }
  });
});

describe('apiToken', () => {
  it('create: returns the plain token once, with Date metadata', async () => {
    const { client, user } = await signedUp('Maker');
    const created = await client.apiToken.create.mutate({
      name: 'cli',
      expiresIn: 'THREE_MONTHS',
      scopes: ['tokens:read'],
    });
    expect(created).toEqual({
      id: expect.any(Number),
      token: expect.stringMatching(TOKEN_REGEX),
      name: 'cli',
      start: created.token.slice(0, 8),
      scopes: ['tokens:read'],
      status: 'active',
      createdAt: new Date(START_TIME),
      expiresAt: new Date(START_TIME + 90 * DAY),
      lastUsedAt: null,
      createdBy: { id: user.id, name: 'Maker' },
      allowedIps: [],
      breaksPolicy: null,
    });
    expect(created.createdAt).toBeInstanceOf(Date);
    const me = await server.api('GET', '/api/v1/me', { token: created.token });
    expect(me.body.user.id).toBe(user.id);
  });

  it('create: defaults to every scope and no expiry', async () => {
    const { client } = await signedUp('Defaults');
    const created = await client.apiToken.create.mutate({ name: 'defaults' });
    expect(created.scopes).toEqual(['tokens:read', 'tokens:write', 'audit:read']);
    expect(created.expiresAt).toBeNull();
  });

  it('create: makes a team token with teamId', async () => {
    const { client } = await signedUp('Team Maker');
    const team = await client.team.create.mutate({ name: 'Token Team', slug: 'token-team' });
    const created = await client.apiToken.create.mutate({ teamId: team.id, name: 'team token' });
    const me = await server.api('GET', '/api/v1/me', { token: created.token });
    expect(me.body.team).toEqual(team);
    expect((await client.apiToken.getMany.query({ teamId: team.id })).map((t) => t.id)).toEqual([created.id]);
    expect((await client.apiToken.getMany.query()).map((t) => t.id)).toEqual([]);
  });

  it('create: answers BAD_REQUEST to an unknown expiresIn, a short name or an unknown scope', async () => {
    const { client } = await signedUp('Sloppy');
    const expiry = await trpcError(
      client.apiToken.create.mutate({ name: 'bad expiry', expiresIn: 'FOREVER' as 'NEVER' }),
    );
    expect(expiry).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
    expect(expiry.issues).toEqual([
      {
        path: 'expiresIn',
        message: 'Expiry must be one of NEVER, SEVEN_DAYS, ONE_MONTH, THREE_MONTHS, SIX_MONTHS, ONE_YEAR',
      },
    ]);
    expect((await trpcError(client.apiToken.create.mutate({ name: 'ab' }))).message).toBe(
      'Name must be at least 3 characters',
    );
    const scope = await trpcError(client.apiToken.create.mutate({ name: 'odd scope', scopes: ['invoices:read'] }));
    expect(scope).toMatchObject({ code: 'BAD_REQUEST', message: 'Unknown scope: invoices:read' });
    expect(await client.apiToken.getMany.query()).toEqual([]);
  });

  it('getMany: lists live tokens newest first, without the plain token', async () => {
    const { client } = await signedUp('Lister');
    const first = await client.apiToken.create.mutate({ name: 'first' });
    const second = await client.apiToken.create.mutate({ name: 'second' });
    const listed = await client.apiToken.getMany.query();
    expect(listed.map((t) => t.id)).toEqual([second.id, first.id]);
    expect(listed[0]).not.toHaveProperty('token');
    expect(listed[0]!.createdAt).toBeInstanceOf(Date);
  });

  it('get: gives one token with its rotation lineage both ways; NOT_FOUND for another user’s token', async () => {
    const { client } = await signedUp('Detail Reader');
    const old = await client.apiToken.create.mutate({ name: 'detailed', scopes: ['tokens:read'] });
    const rotated = await client.apiToken.rotate.mutate({ id: old.id, gracePeriodSeconds: 120 });
    const detail = await client.apiToken.get.query({ id: rotated.id });
    expect(detail.token).toMatchObject({ id: rotated.id, name: 'detailed', scopes: ['tokens:read'], status: 'active' });
    expect(detail.token).not.toHaveProperty('token');
    expect(detail.lineage).toEqual({ replaces: { id: old.id, start: old.start, live: true }, replacedBy: null });
    expect((await client.apiToken.get.query({ id: old.id })).lineage).toEqual({
      replaces: null,
      replacedBy: { id: rotated.id, start: rotated.start },
    });
    const { client: stranger } = await signedUp('Stranger');
    expect(await trpcError(stranger.apiToken.get.query({ id: rotated.id }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await trpcError(client.apiToken.get.query({ id: -1 }))).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('rotate: gives a new token of the same name and scopes, the old one working for the grace period', async () => {
    const { client } = await signedUp('Rotator');
    const old = await client.apiToken.create.mutate({
      name: 'rotating',
      scopes: ['tokens:read'],
      expiresIn: 'SEVEN_DAYS',
    });
    const rotated = await client.apiToken.rotate.mutate({ id: old.id, gracePeriodSeconds: 120 });
    expect(rotated).toMatchObject({
      name: 'rotating',
      scopes: ['tokens:read'],
      expiresAt: new Date(START_TIME + 7 * DAY),
    });
    expect(rotated.token).not.toBe(old.token);
    expect(rotated.previousTokenStopsAt).toEqual(new Date(START_TIME + 120_000));
    const listed = await client.apiToken.getMany.query();
    expect(listed.map((t) => [t.id, t.status])).toEqual([
      [rotated.id, 'active'],
      [old.id, 'retiring'],
    ]);
    // Rotating the retiring one again is refused: it has a successor already.
    expect(await trpcError(client.apiToken.rotate.mutate({ id: old.id }))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/create a new token/),
    });
    try {
      server.clock.advance(119_000);
      expect((await server.api('GET', '/api/v1/me', { token: old.token })).status).toBe(200);
      server.clock.advance(1_000);
      expect((await server.api('GET', '/api/v1/me', { token: old.token })).status).toBe(401);
      expect((await client.apiToken.getMany.query()).map((t) => t.id)).toEqual([rotated.id]);
    } finally {
      server.clock.set(START_TIME);
    }
  });

  it('rotate: answers BAD_REQUEST to an expired token (the UI’s Rotate gives it no fresh life)', async () => {
    const { client } = await signedUp('Rotator Expired');
    const lapsed = await client.apiToken.create.mutate({ name: 'lapsed', expiresIn: 'SEVEN_DAYS' });
    server.clock.advance(8 * DAY);
    try {
      expect(await trpcError(client.apiToken.rotate.mutate({ id: lapsed.id }))).toMatchObject({
        code: 'BAD_REQUEST',
        message: 'This token has expired and cannot be rotated; create a new token instead',
      });
      const listed = await client.apiToken.getMany.query();
      expect(listed.map((t) => [t.id, t.status, t.expiresAt])).toEqual([
        [lapsed.id, 'expired', new Date(START_TIME + 7 * DAY)],
      ]);
    } finally {
      server.clock.set(START_TIME);
    }
  });

  it('rotate: answers BAD_REQUEST to a grace period over 7 days and NOT_FOUND to an unknown id', async () => {
    const { client } = await signedUp('Rotator Two');
    const token = await client.apiToken.create.mutate({ name: 'stays' });
    expect((await trpcError(client.apiToken.rotate.mutate({ id: token.id, gracePeriodSeconds: 604_801 }))).code).toBe(
      'BAD_REQUEST',
    );
    expect(await trpcError(client.apiToken.rotate.mutate({ id: 99_999_999 }))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'API token not found',
    });
    expect((await client.apiToken.getMany.query()).map((t) => t.id)).toEqual([token.id]);
  });

  it('delete: removes the token at once; NOT_FOUND the second time', async () => {
    const { client } = await signedUp('Deleter');
    const token = await client.apiToken.create.mutate({ name: 'to delete' });
    expect(await client.apiToken.delete.mutate({ id: token.id })).toBeUndefined();
    expect(await client.apiToken.getMany.query()).toEqual([]);
    expect((await server.api('GET', '/api/v1/me', { token: token.token })).status).toBe(401);
    expect((await trpcError(client.apiToken.delete.mutate({ id: token.id }))).code).toBe('NOT_FOUND');
  });

  it('answers UNAUTHORIZED to every procedure without a session', async () => {
    const anonymous = server.trpc();
    for (const call of [
      () => anonymous.apiToken.create.mutate({ name: 'anon' }),
      () => anonymous.apiToken.getMany.query(),
      () => anonymous.apiToken.delete.mutate({ id: 1 }),
      () => anonymous.apiToken.rotate.mutate({ id: 1 }),
    ]) {
      expect(await trpcError(call())).toMatchObject({
        code: 'UNAUTHORIZED',
        httpStatus: 401,
        message: 'Sign in first',
      });
    }
  });
});

/** One request over node:http, to see the framing that fetch hides: status, raw headers, body. */
function rawRequest(
  url: string,
  { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the HTTP answer', () => {
  it('comes in one piece with its Content-Length: a query, a batch, an error, a mutation, a HEAD', async () => {
    const { client, user } = await signedUp('Framed');
    await client.apiToken.create.mutate({ name: 'framed' });
    const cookie = `latchkey_session=${server.jarOf(client).session}`;
    const batch = encodeURIComponent(JSON.stringify({ 0: { json: null }, 1: { json: {} } }));
    const answers = {
      query: await rawRequest(`${server.url}/api/trpc/auth.me`, { headers: { cookie } }),
      batch: await rawRequest(`${server.url}/api/trpc/auth.me,apiToken.getMany?batch=1&input=${batch}`, {
        headers: { cookie },
      }),
      error: await rawRequest(`${server.url}/api/trpc/apiToken.getMany`),
      mutation: await rawRequest(`${server.url}/api/trpc/auth.signOut`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
      head: await rawRequest(`${server.url}/api/trpc/auth.me`, { method: 'HEAD' }),
    };
    for (const [name, answer] of Object.entries(answers)) {
      expect(answer.headers['transfer-encoding'], name).toBeUndefined();
      if (name !== 'head') expect(Number(answer.headers['content-length']), name).toBe(Buffer.byteLength(answer.body));
    }
    expect(answers.query.status).toBe(200);
    expect(JSON.parse(answers.query.body)).toEqual({ result: { data: { json: { user } } } });
    const [me, list] = JSON.parse(answers.batch.body) as [
      { result: unknown },
      { result: { data: { json: unknown[] } } },
    ];
    expect(me.result).toEqual({ data: { json: { user } } });
    expect(list.result.data.json).toHaveLength(1);
    expect(answers.error.status).toBe(401);
    expect(JSON.parse(answers.error.body)).toMatchObject({ error: { json: { message: 'Sign in first' } } });
    expect(answers.mutation.status).toBe(200);
    expect(answers.mutation.headers['set-cookie']).toEqual([expect.stringMatching(/^latchkey_session=;/)]);
    expect(answers.head.status).toBe(204);
  });

  it('still answers a streamed batch (trpc-accept: application/jsonl), once it is complete', async () => {
    const { client, user } = await signedUp('Streamed');
    const cookie = `latchkey_session=${server.jarOf(client).session}`;
    const input = encodeURIComponent(JSON.stringify({ 0: { json: null } }));
    const answer = await rawRequest(`${server.url}/api/trpc/auth.me?batch=1&input=${input}`, {
      headers: { cookie, 'trpc-accept': 'application/jsonl' },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    expect(answer.body).toContain(JSON.stringify(user.email));
  });
});

describe('logs', () => {
  it('hold no plain token, password or session id', () => {
    expect(server.logs.length).toBeGreaterThan(20);
    expect(server.leakedSecrets()).toEqual([]);
  });
});
