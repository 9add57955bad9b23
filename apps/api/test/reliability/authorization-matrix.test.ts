// The authorization matrix: every REST route and every tRPC procedure, called as every kind of
// caller, on SQLite and on PostgreSQL. Each cell states the status it must get; after each call
// the database is compared with its state before, so no cell can read or change the tokens of an
// owner the caller may not manage, whatever status it got.
//
// Callers. REST (token auth): anonymous, a malformed token, an unknown token, an expired token, a
// deleted token, a token without the route's scope, the personal owner's token, another user's
// token, a team's token (made by its ADMIN), and an outsider team's token. tRPC (session cookie):
// anonymous, a malformed, unknown, expired or deleted session, the personal owner, another user,
// the team's ADMIN, MANAGER and MEMBER, and an outsider (ADMIN of another team).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  deleteApiTokenById,
  deleteSession,
  generateApiToken,
  hashSecret,
  type CreatedApiToken,
  type PublicTeam,
} from '@latchkey/lib';
import { describeEachDatabase } from '@latchkey/lib/testing';
import { databaseIfAvailable } from './support/databases';
import { recordFigure } from './support/figures';
import { rest, trpc, type HttpResult, type TrpcResult } from './support/http';
import { startInProcessServer, type InProcessServer } from './support/in-process-server';
import { SecretLedger } from './support/secrets';
import { diffTable, isEmptyDiff, snapshotTables, type Row, type Snapshot } from './support/snapshot';
import { unique, World, type Person } from './support/world';

const DAY = 24 * 60 * 60 * 1000;

type OwnerKey = `user:${number}` | `team:${number}`;
const userOwner = (id: number): OwnerKey => `user:${id}`;
const teamOwner = (id: number): OwnerKey => `team:${id}`;
const ownerOfRow = (row: Row): OwnerKey =>
  row.user_id !== null ? userOwner(Number(row.user_id)) : teamOwner(Number(row.team_id));

/** Fails unless every change to tokens, teams and memberships is one the caller may make. */
function expectOnlyAllowedChanges(
  before: Snapshot,
  after: Snapshot,
  may: { tokenOwners: Set<OwnerKey>; adminOf: Set<number> },
  where: string,
) {
  const tokens = diffTable('api_tokens', before, after);
  for (const row of [...tokens.added, ...tokens.removed, ...tokens.changed.map((c) => c.after)]) {
    expect(may.tokenOwners.has(ownerOfRow(row)), `${where}: changed a token of ${ownerOfRow(row)}`).toBe(true);
  }
  const teams = diffTable('teams', before, after);
  expect(teams.removed.length + teams.changed.length, `${where}: changed or removed a team`).toBe(0);
  const newTeams = new Set(teams.added.map((t) => Number(t.id)));
  const members = diffTable('team_members', before, after);
  for (const row of [...members.added, ...members.removed, ...members.changed.map((c) => c.after)]) {
    const teamId = Number(row.team_id);
    expect(may.adminOf.has(teamId) || newTeams.has(teamId), `${where}: changed the members of team ${teamId}`).toBe(
      true,
    );
  }
}

/** Fails if the response names a token of an owner the caller may not manage. */
function expectNoForeignTokens(text: string, before: Snapshot, mayRead: Set<OwnerKey>, where: string) {
  for (const row of before.api_tokens) {
    if (!mayRead.has(ownerOfRow(row)))
      expect(
        text.includes(String(row.name)),
        `${where}: response shows token "${String(row.name)}" of ${ownerOfRow(row)}`,
      ).toBe(false);
  }
}

function expectNoChange(before: Snapshot, after: Snapshot, where: string) {
  for (const table of ['api_tokens', 'teams', 'team_members', 'users', 'sessions'] as const) {
    expect(isEmptyDiff(diffTable(table, before, after)), `${where}: ${table} changed`).toBe(true);
  }
}

describeEachDatabase('authorization matrix', (getDatabase) => {
  let server: InProcessServer;
  let world: World;
  const ledger = new SecretLedger();
  let owner: Person; // the personal owner
  let other: Person; // another user, in no team
  let admin: Person;
  let manager: Person;
  let member: Person;
  let outsider: Person; // ADMIN of another team
  let signInUser: Person;
  let team: PublicTeam;
  let outsiderTeam: PublicTeam;
  let cells = 0;

  beforeAll(async () => {
    const database = databaseIfAvailable(getDatabase);
    if (!database) return;
    const { db } = database;
    world = new World(db, ledger);
    server = await startInProcessServer({ db });
    [owner, other, admin, manager, member, outsider, signInUser] = (await Promise.all(
      ['owner', 'other', 'admin', 'manager', 'member', 'outsider', 'signin'].map((label) => world.person(label)),
    )) as [Person, Person, Person, Person, Person, Person, Person];
    team = await world.team(admin, 'matrix', [
      [manager, 'MANAGER'],
      [member, 'MEMBER'],
    ]);
    outsiderTeam = await world.team(outsider, 'outside');
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    if (cells > 0) recordFigure('matrixCellsChecked', cells, databaseIfAvailable(getDatabase)?.kind);
  });

  // ---------------------------------------------------------------- REST

  type RestCaller =
    | 'anonymous'
    | 'malformed token'
    | 'unknown token'
    | 'expired token'
    | 'deleted token'
    | 'token without the scope'
    | 'personal owner'
    | 'another user'
    | 'team token'
    | 'outsider team token';
  const REST_CALLERS: RestCaller[] = [
    'anonymous',
    'malformed token',
    'unknown token',
    'expired token',
    'deleted token',
    'token without the scope',
    'personal owner',
    'another user',
    'team token',
    'outsider team token',
  ];
  const UNAUTHENTICATED: Partial<Record<RestCaller, string>> = {
    anonymous: 'API token was not provided',
    'malformed token': 'Invalid token',
    'unknown token': 'Invalid token',
    'expired token': 'Expired token',
    'deleted token': 'Invalid token',
  };

  type Scope = 'none' | 'tokens:read' | 'tokens:write';
  type RestCall = {
    caller: RestCaller;
    authorization: string | undefined;
    acting: CreatedApiToken | null;
    actingOwner: OwnerKey | null;
    target: CreatedApiToken;
    targetOwner: OwnerKey;
  };

  /**
   * A fresh token for the caller, and a fresh target for routes with `:id`: for `own-or-victim`,
   * one of the caller's own tokens where the caller can manage tokens, else the personal owner's;
   * for `foreign`, always a token of an owner the caller may not manage.
   */
  async function restCall(
    caller: RestCaller,
    needs: Scope,
    targetKind: 'own-or-victim' | 'foreign',
  ): Promise<RestCall> {
    const personal = async (user: Person) => ({ target: await world.token(user), targetOwner: userOwner(user.id) });
    const ofTeam = async (t: PublicTeam, maker: Person) => ({
      target: await world.token(maker, { teamId: t.id }),
      targetOwner: teamOwner(t.id),
    });
    const bearer = (token: CreatedApiToken) => `Bearer ${token.token}`;
    switch (caller) {
      case 'anonymous':
        return { caller, authorization: undefined, acting: null, actingOwner: null, ...(await personal(owner)) };
      case 'malformed token':
        return {
          caller,
          authorization: 'Bearer api_this-is-not!a-token',
          acting: null,
          actingOwner: null,
          ...(await personal(owner)),
        };
      case 'unknown token':
        return {
          caller,
          authorization: `Bearer ${generateApiToken()}`,
          acting: null,
          actingOwner: null,
          ...(await personal(owner)),
        };
      case 'expired token': {
        const expired = await world.token(owner, {
          expiresIn: 'SEVEN_DAYS',
          clock: { now: () => Date.now() - 8 * DAY },
        });
        return {
          caller,
          authorization: bearer(expired),
          acting: expired,
          actingOwner: userOwner(owner.id),
          ...(await personal(owner)),
        };
      }
      case 'deleted token': {
        const deleted = await world.token(owner);
        await deleteApiTokenById({ clock: world.clock, db: world.db, userId: owner.id, id: deleted.id });
        return {
          caller,
          authorization: bearer(deleted),
          acting: deleted,
          actingOwner: userOwner(owner.id),
          ...(await personal(owner)),
        };
      }
      case 'token without the scope': {
        const lacking = await world.token(owner, {
          scopes: needs === 'tokens:read' ? ['tokens:write'] : ['tokens:read'],
        });
        return {
          caller,
          authorization: bearer(lacking),
          acting: lacking,
          actingOwner: userOwner(owner.id),
          ...(await personal(owner)),
        };
      }
      case 'personal owner': {
        const acting = await world.token(owner);
        const target = targetKind === 'own-or-victim' ? await personal(owner) : await ofTeam(team, admin);
        return { caller, authorization: bearer(acting), acting, actingOwner: userOwner(owner.id), ...target };
      }
      case 'another user': {
        const acting = await world.token(other);
        return {
          caller,
          authorization: bearer(acting),
          acting,
          actingOwner: userOwner(other.id),
          ...(await personal(owner)),
        };
      }
      case 'team token': {
        const acting = await world.token(admin, { teamId: team.id });
        // Its foreign target is the personal token of the ADMIN who made it.
        const target = targetKind === 'own-or-victim' ? await ofTeam(team, admin) : await personal(admin);
        return { caller, authorization: bearer(acting), acting, actingOwner: teamOwner(team.id), ...target };
      }
      case 'outsider team token': {
        const acting = await world.token(outsider, { teamId: outsiderTeam.id });
        return {
          caller,
          authorization: bearer(acting),
          acting,
          actingOwner: teamOwner(outsiderTeam.id),
          ...(await ofTeam(team, admin)),
        };
      }
    }
  }

  type Effect = 'none' | 'created' | 'deleted target' | 'rotated target' | 'deleted self' | 'rotated self';
  type RestRow = {
    route: string;
    needs: Scope;
    target?: 'own-or-victim' | 'foreign';
    request(call: RestCall): { method: string; path: string; body?: unknown };
    /** The status of a caller that passed authentication and holds the scope. */
    allowed(call: RestCall): number;
    effect: Effect;
    public?: boolean;
  };

  const ownsTarget = (call: RestCall) => call.targetOwner === call.actingOwner;

  const REST_ROWS: RestRow[] = [
    {
      route: 'GET /api/v1/me',
      needs: 'none',
      request: () => ({ method: 'GET', path: '/api/v1/me' }),
      allowed: () => 200,
      effect: 'none',
    },
    {
      route: 'GET /api/v1/tokens',
      needs: 'tokens:read',
      request: () => ({ method: 'GET', path: '/api/v1/tokens?limit=100' }),
      allowed: () => 200,
      effect: 'none',
    },
    {
      route: 'POST /api/v1/tokens',
      needs: 'tokens:write',
      request: () => ({ method: 'POST', path: '/api/v1/tokens', body: { name: unique('rest-made') } }),
      allowed: () => 201,
      effect: 'created',
    },
    {
      route: 'GET /api/v1/tokens/:id',
      needs: 'tokens:read',
      target: 'own-or-victim',
      request: (c) => ({ method: 'GET', path: `/api/v1/tokens/${c.target.id}` }),
      allowed: (c) => (ownsTarget(c) ? 200 : 404),
      effect: 'none',
    },
    {
      route: 'DELETE /api/v1/tokens/:id',
      needs: 'tokens:write',
      target: 'own-or-victim',
      request: (c) => ({ method: 'DELETE', path: `/api/v1/tokens/${c.target.id}` }),
      allowed: (c) => (ownsTarget(c) ? 204 : 404),
      effect: 'deleted target',
    },
    {
      route: 'POST /api/v1/tokens/:id/rotate',
      needs: 'tokens:write',
      target: 'own-or-victim',
      request: (c) => ({
        method: 'POST',
        path: `/api/v1/tokens/${c.target.id}/rotate`,
        body: { gracePeriodSeconds: 0 },
      }),
      allowed: (c) => (ownsTarget(c) ? 201 : 404),
      effect: 'rotated target',
    },
    {
      route: 'GET /api/v1/tokens/:id (another owner’s)',
      needs: 'tokens:read',
      target: 'foreign',
      request: (c) => ({ method: 'GET', path: `/api/v1/tokens/${c.target.id}` }),
      allowed: () => 404,
      effect: 'none',
    },
    {
      route: 'DELETE /api/v1/tokens/:id (another owner’s)',
      needs: 'tokens:write',
      target: 'foreign',
      request: (c) => ({ method: 'DELETE', path: `/api/v1/tokens/${c.target.id}` }),
      allowed: () => 404,
      effect: 'none',
    },
    {
      route: 'POST /api/v1/tokens/:id/rotate (another owner’s)',
      needs: 'tokens:write',
      target: 'foreign',
      request: (c) => ({ method: 'POST', path: `/api/v1/tokens/${c.target.id}/rotate`, body: {} }),
      allowed: () => 404,
      effect: 'none',
    },
    {
      route: 'DELETE /api/v1/tokens/self',
      needs: 'tokens:write',
      request: () => ({ method: 'DELETE', path: '/api/v1/tokens/self' }),
      allowed: () => 204,
      effect: 'deleted self',
    },
    {
      route: 'POST /api/v1/tokens/self/rotate',
      needs: 'tokens:write',
      request: () => ({ method: 'POST', path: '/api/v1/tokens/self/rotate', body: { gracePeriodSeconds: 0 } }),
      allowed: () => 201,
      effect: 'rotated self',
    },
    {
      route: 'GET /api/v1/openapi.json',
      needs: 'none',
      public: true,
      request: () => ({ method: 'GET', path: '/api/v1/openapi.json' }),
      allowed: () => 200,
      effect: 'none',
    },
    {
      route: 'GET /api/docs',
      needs: 'none',
      public: true,
      request: () => ({ method: 'GET', path: '/api/docs' }),
      allowed: () => 200,
      effect: 'none',
    },
    {
      route: 'GET /api/health',
      needs: 'none',
      public: true,
      request: () => ({ method: 'GET', path: '/api/health' }),
      allowed: () => 200,
      effect: 'none',
    },
  ];

  function expectedRestStatus(row: RestRow, call: RestCall): number {
    if (row.public) return 200;
    if (UNAUTHENTICATED[call.caller]) return 401;
    if (call.caller === 'token without the scope' && row.needs !== 'none') return 403;
    return row.allowed(call);
  }

  function checkRestEffect(
    row: RestRow,
    call: RestCall,
    response: HttpResult,
    before: Snapshot,
    after: Snapshot,
    where: string,
  ) {
    const tokens = diffTable('api_tokens', before, after);
    for (const table of ['teams', 'team_members', 'users', 'sessions'] as const)
      expect(isEmptyDiff(diffTable(table, before, after)), `${where}: ${table} changed`).toBe(true);
    const succeeded = response.status < 300;
    const effect: Effect = succeeded ? row.effect : 'none';
    const ids = (rows: Row[]) => rows.map((r) => Number(r.id)).sort();
    switch (effect) {
      case 'none':
        expect(isEmptyDiff(tokens), `${where}: tokens changed`).toBe(true);
        break;
      case 'created':
        expect(tokens.removed.length + tokens.changed.length, where).toBe(0);
        expect(tokens.added.map(ownerOfRow), where).toEqual([call.actingOwner]);
        expect(ids(tokens.added), where).toEqual([response.body.id]);
        break;
      case 'deleted target':
      case 'deleted self':
        expect(tokens.added.length + tokens.changed.length, where).toBe(0);
        expect(ids(tokens.removed), where).toEqual([effect === 'deleted self' ? call.acting!.id : call.target.id]);
        break;
      case 'rotated target':
      case 'rotated self': {
        const old = effect === 'rotated self' ? call.acting! : call.target;
        expect(ids(tokens.removed), where).toEqual([old.id]);
        expect(tokens.added.length, where).toBe(1);
        expect(tokens.added[0]!.name, where).toBe(old.name);
        expect(ownerOfRow(tokens.added[0]!), where).toBe(ownerOfRow(tokens.removed[0]!));
        expect(tokens.changed.length, where).toBe(0);
        break;
      }
    }
    if (call.actingOwner)
      expectOnlyAllowedChanges(before, after, { tokenOwners: new Set([call.actingOwner]), adminOf: new Set() }, where);
    else expect(isEmptyDiff(tokens), `${where}: tokens changed without a valid token`).toBe(true);
    expectNoForeignTokens(
      response.text,
      before,
      new Set(call.actingOwner && !UNAUTHENTICATED[call.caller] ? [call.actingOwner] : []),
      where,
    );
  }

  it('REST: every route × every token caller gets its status, and touches only its own tokens', async () => {
    const { db } = getDatabase();
    const summary: string[] = [];
    for (const row of REST_ROWS) {
      const line: string[] = [];
      for (const caller of REST_CALLERS) {
        const call = await restCall(caller, row.needs, row.target ?? 'own-or-victim');
        const where = `${row.route} as ${caller}`;
        const request = row.request(call);
        const before = await snapshotTables(db);
        const response = await rest(server.url, request.method, request.path, {
          authorization: call.authorization,
          body: request.body,
        });
        const after = await snapshotTables(db);
        if (response.status === 201 && response.body?.token) ledger.add('token', response.body.token);

        const expected = expectedRestStatus(row, call);
        expect({ where, status: response.status }).toEqual({ where, status: expected });
        const message = UNAUTHENTICATED[call.caller];
        if (expected === 401 && message) {
          expect(response.body, where).toEqual({ code: 'UNAUTHORIZED', message });
          expect(response.headers.get('www-authenticate'), where).toBe(
            caller === 'anonymous' ? 'Bearer realm="api"' : 'Bearer realm="api", error="invalid_token"',
          );
        }
        if (expected === 403) expect(response.body?.code, where).toBe('FORBIDDEN');
        if (expected === 404)
          expect(response.body, where).toEqual({ code: 'NOT_FOUND', message: 'API token not found' });
        if (row.route === 'GET /api/v1/me' && expected === 200)
          expect(response.body.token.id, where).toBe(call.acting!.id);
        if (row.route === 'GET /api/v1/tokens' && expected === 200) {
          const mine = before.api_tokens
            .filter((r) => ownerOfRow(r) === call.actingOwner)
            .map((r) => Number(r.id))
            .sort((a, b) => b - a);
          expect(
            response.body.tokens.map((t: { id: number }) => t.id),
            where,
          ).toEqual(mine);
        }
        checkRestEffect(row, call, response, before, after, where);
        cells += 1;
        line.push(`${caller}=${response.status}`);
      }
      summary.push(`${row.route}: ${line.join(' ')}`);
    }
    console.log(`REST matrix [${getDatabase().kind}]\n${summary.join('\n')}`);
  }, 120_000);

  // ---------------------------------------------------------------- tRPC

  type TrpcCaller =
    | 'anonymous'
    | 'malformed session'
    | 'unknown session'
    | 'expired session'
    | 'deleted session'
    | 'personal owner'
    | 'another user'
    | 'team ADMIN'
    | 'team MANAGER'
    | 'team MEMBER'
    | 'outsider';
  const TRPC_CALLERS: TrpcCaller[] = [
    'anonymous',
    'malformed session',
    'unknown session',
    'expired session',
    'deleted session',
    'personal owner',
    'another user',
    'team ADMIN',
    'team MANAGER',
    'team MEMBER',
    'outsider',
  ];
  const SIGNED_OUT = new Set<TrpcCaller>([
    'anonymous',
    'malformed session',
    'unknown session',
    'expired session',
    'deleted session',
  ]);

  type TrpcCall = { caller: TrpcCaller; user: Person | null; cookie: string | undefined; sessionId: string | null };

  async function trpcCall(caller: TrpcCaller): Promise<TrpcCall> {
    const signedIn = async (user: Person): Promise<TrpcCall> => {
      const sessionId = await world.session(user);
      return { caller, user, cookie: `latchkey_session=${sessionId}`, sessionId };
    };
    switch (caller) {
      case 'anonymous':
        return { caller, user: null, cookie: undefined, sessionId: null };
      case 'malformed session':
        return { caller, user: null, cookie: 'latchkey_session=not a session!; other=1', sessionId: null };
      case 'unknown session':
        return {
          caller,
          user: null,
          cookie: `latchkey_session=${randomBytes(32).toString('base64url')}`,
          sessionId: null,
        };
      case 'expired session': {
        const sessionId = randomBytes(32).toString('base64url');
        ledger.add('session', sessionId);
        await world.db
          .insertInto('sessions')
          .values({
            token_hash: hashSecret(sessionId),
            user_id: owner.id,
            expires_at: Date.now() - 1000,
            created_at: Date.now() - DAY,
          })
          .execute();
        return { caller, user: null, cookie: `latchkey_session=${sessionId}`, sessionId: null };
      }
      case 'deleted session': {
        const sessionId = await world.session(owner);
        await deleteSession({ db: world.db, sessionId });
        return { caller, user: null, cookie: `latchkey_session=${sessionId}`, sessionId: null };
      }
      case 'personal owner':
        return signedIn(owner);
      case 'another user':
        return signedIn(other);
      case 'team ADMIN':
        return signedIn(admin);
      case 'team MANAGER':
        return signedIn(manager);
      case 'team MEMBER':
        return signedIn(member);
      case 'outsider':
        return signedIn(outsider);
    }
  }

  /** For team procedures: ADMIN may, MANAGER and MEMBER are refused, non-members do not see the team. */
  const teamAdminOnly = (c: TrpcCall) =>
    c.caller === 'team ADMIN' ? 200 : c.caller === 'team MANAGER' || c.caller === 'team MEMBER' ? 403 : 404;
  const teamMembersOnly = (c: TrpcCall) => (c.caller.startsWith('team ') ? 200 : 404);

  type TrpcRow = {
    procedure: string;
    type: 'query' | 'mutation';
    public?: boolean;
    input(call: TrpcCall): unknown;
    /** The status of a signed-in caller (signed-out callers get 401 unless the procedure is public). */
    allowed(call: TrpcCall): number;
    check?(call: TrpcCall, result: TrpcResult, before: Snapshot, after: Snapshot, where: string): void;
  };

  const personalOrTeam = (c: TrpcCall) =>
    c.caller === 'personal owner' || c.caller === 'another user' || SIGNED_OUT.has(c.caller) ? null : team.id;
  /** The token a delete or rotate aims at: the caller's own where the caller has one to manage, else the victim's. */
  async function aimedToken(c: TrpcCall, foreign: boolean): Promise<{ id: number; teamId: number | null }> {
    if (c.caller === 'personal owner')
      return foreign
        ? { id: (await world.token(admin, { teamId: team.id })).id, teamId: null }
        : { id: (await world.token(owner)).id, teamId: null };
    if (c.caller === 'another user' || SIGNED_OUT.has(c.caller))
      return { id: (await world.token(owner)).id, teamId: null };
    if (c.caller === 'outsider')
      return { id: (await world.token(admin, { teamId: team.id })).id, teamId: foreign ? team.id : outsiderTeam.id };
    // Team members: their team's token, or (foreign) the owner's personal token, named as if it were the team's.
    return foreign
      ? { id: (await world.token(owner)).id, teamId: team.id }
      : { id: (await world.token(admin, { teamId: team.id })).id, teamId: team.id };
  }

  async function freshMember(): Promise<Person> {
    const person = await world.person('joiner');
    await world.db
      .insertInto('team_members')
      .values({ team_id: team.id, user_id: person.id, role: 'MEMBER', created_at: Date.now() })
      .execute();
    return person;
  }

  const TRPC_ROWS: TrpcRow[] = [
    {
      procedure: 'auth.signUp',
      type: 'mutation',
      public: true,
      input: () => {
        const password = `pw-${randomBytes(9).toString('base64url')}`;
        ledger.add('password', password);
        return { name: 'New Person', email: `${unique('signup')}@example.test`, password };
      },
      allowed: () => 200,
    },
    {
      procedure: 'auth.signIn',
      type: 'mutation',
      public: true,
      input: () => ({ email: signInUser.email, password: signInUser.password }),
      allowed: () => 200,
    },
    {
      procedure: 'auth.signOut',
      type: 'mutation',
      public: true,
      input: () => undefined,
      allowed: () => 200,
      check: (c, _r, before, after, where) => {
        const sessions = diffTable('sessions', before, after);
        expect(sessions.removed.length, where).toBe(c.sessionId ? 1 : 0);
        expect(
          sessions.removed.map((s) => s.token_hash),
          where,
        ).toEqual(c.sessionId ? [hashSecret(c.sessionId)] : []);
      },
    },
    {
      procedure: 'auth.me',
      type: 'query',
      public: true,
      input: () => undefined,
      allowed: () => 200,
      check: (c, r, _b, _a, where) => expect(r.data?.user?.id ?? null, where).toBe(c.user?.id ?? null),
    },
    {
      procedure: 'team.create',
      type: 'mutation',
      input: () => ({ name: 'A Team', slug: unique('t').toLowerCase() }),
      allowed: () => 200,
    },
    {
      procedure: 'team.getMany',
      type: 'query',
      input: () => undefined,
      allowed: () => 200,
      check: (c, r, before, _a, where) => {
        const mine = before.team_members
          .filter((m) => Number(m.user_id) === c.user!.id)
          .map((m) => Number(m.team_id))
          .sort();
        expect(r.data.map((t: { id: number }) => t.id).sort(), where).toEqual(mine);
      },
    },
    { procedure: 'team.members.getMany', type: 'query', input: () => ({ teamId: team.id }), allowed: teamMembersOnly },
    {
      procedure: 'team.members.add',
      type: 'mutation',
      input: async () => ({ teamId: team.id, email: (await world.person('invitee')).email, role: 'MEMBER' }),
      allowed: teamAdminOnly,
    },
    {
      procedure: 'team.members.updateRole',
      type: 'mutation',
      input: async () => ({ teamId: team.id, userId: (await freshMember()).id, role: 'MANAGER' }),
      allowed: teamAdminOnly,
    },
    {
      procedure: 'team.members.remove',
      type: 'mutation',
      input: async () => ({ teamId: team.id, userId: (await freshMember()).id }),
      allowed: teamAdminOnly,
    },
    {
      procedure: 'apiToken.create',
      type: 'mutation',
      input: (c) => ({ teamId: personalOrTeam(c), name: unique('trpc-made') }),
      allowed: (c) => (c.caller === 'personal owner' || c.caller === 'another user' ? 200 : teamAdminOnly(c)),
      check: (c, r, before, after, where) => {
        if (r.status !== 200) return;
        const added = diffTable('api_tokens', before, after).added;
        const teamId = personalOrTeam(c);
        expect(added.map(ownerOfRow), where).toEqual([teamId === null ? userOwner(c.user!.id) : teamOwner(teamId)]);
      },
    },
    {
      procedure: 'apiToken.getMany',
      type: 'query',
      input: (c) => ({ teamId: personalOrTeam(c) }),
      allowed: (c) => (c.caller === 'personal owner' || c.caller === 'another user' ? 200 : teamAdminOnly(c)),
      check: (c, r, before, _a, where) => {
        if (r.status !== 200) return;
        const teamId = personalOrTeam(c);
        const ownerKey = teamId === null ? userOwner(c.user!.id) : teamOwner(teamId);
        const expected = before.api_tokens
          .filter((row) => ownerOfRow(row) === ownerKey)
          .map((row) => Number(row.id))
          .sort((a, b) => b - a);
        expect(
          r.data.map((t: { id: number }) => t.id),
          where,
        ).toEqual(expected);
      },
    },
    ...(['delete', 'rotate'] as const).flatMap((verb): TrpcRow[] => [
      {
        procedure: `apiToken.${verb}`,
        type: 'mutation',
        input: async (c) => {
          const aimed = await aimedToken(c, false);
          return verb === 'rotate' ? { ...aimed, gracePeriodSeconds: 0 } : aimed;
        },
        allowed: (c) =>
          c.caller === 'personal owner'
            ? 200
            : c.caller === 'another user' || c.caller === 'outsider'
              ? 404
              : teamAdminOnly(c),
      },
      {
        procedure: `apiToken.${verb} (another owner’s token)`,
        type: 'mutation',
        input: async (c) => aimedToken(c, true),
        allowed: (c) => (c.caller === 'team MANAGER' || c.caller === 'team MEMBER' ? 403 : 404),
      },
    ]),
  ];

  function adminTeams(snapshot: Snapshot, userId: number): Set<number> {
    return new Set(
      snapshot.team_members
        .filter((m) => Number(m.user_id) === userId && m.role === 'ADMIN')
        .map((m) => Number(m.team_id)),
    );
  }

  it('tRPC: each procedure × each session caller gets its status, touching only what the caller manages', async () => {
    const { db } = getDatabase();
    const summary: string[] = [];
    for (const row of TRPC_ROWS) {
      const line: string[] = [];
      for (const caller of TRPC_CALLERS) {
        const call = await trpcCall(caller);
        const input = await row.input(call);
        const where = `${row.procedure} as ${caller}`;
        const before = await snapshotTables(db);
        const path = row.procedure.split(' ')[0]!;
        const result = await trpc(server.url, row.type, path, input, { cookie: call.cookie });
        const after = await snapshotTables(db);
        for (const id of result.setSessionIds) ledger.add('session', id);
        if (result.data?.token) ledger.add('token', result.data.token);

        const expected = row.public ? row.allowed(call) : SIGNED_OUT.has(caller) ? 401 : row.allowed(call);
        expect({ where, status: result.status, message: result.error?.message }).toMatchObject({
          where,
          status: expected,
        });
        if (expected === 401) expect(result.error?.data.code, where).toBe('UNAUTHORIZED');
        if (expected === 403) expect(result.error?.data.code, where).toBe('FORBIDDEN');
        if (expected === 403 && row.procedure.startsWith('apiToken.'))
          expect(result.error?.message, where).toMatch(/admin/i);
        if (expected === 404) expect(result.error?.data.code, where).toBe('NOT_FOUND');

        if (result.status >= 400 && !row.public) expectNoChange(before, after, where);
        const may = call.user
          ? {
              tokenOwners: new Set<OwnerKey>([
                userOwner(call.user.id),
                ...[...adminTeams(before, call.user.id)].map(teamOwner),
              ]),
              adminOf: adminTeams(before, call.user.id),
            }
          : { tokenOwners: new Set<OwnerKey>(), adminOf: new Set<number>() };
        expectOnlyAllowedChanges(before, after, may, where);
        expectNoForeignTokens(result.text, before, may.tokenOwners, where);
        if (result.status < 300) row.check?.(call, result, before, after, where);
        cells += 1;
        line.push(`${caller}=${result.status}`);
      }
      summary.push(`${row.procedure}: ${line.join(' ')}`);
    }
    console.log(`tRPC matrix [${getDatabase().kind}]\n${summary.join('\n')}`);
  }, 120_000);

  it('logged no token, password or session id, and stored none', async () => {
    expect(ledger.count('token')).toBeGreaterThan(100);
    expect(ledger.findIn(server.logText())).toEqual([]);
    expect((await ledger.findInDatabase(getDatabase().db)).found).toEqual([]);
  });
});
