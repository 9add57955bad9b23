// Races, on SQLite and PostgreSQL: many requests at once that touch the same rows. Nothing may be
// lost or duplicated, a team never ends up without an ADMIN, one e-mail makes one account.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PublicTeam } from '@latchkey/lib';
import { describeEachDatabase } from '@latchkey/lib/testing';
import { databaseIfAvailable } from './support/databases';
import { rest, trpc } from './support/http';
import { startInProcessServer, type InProcessServer } from './support/in-process-server';
import { SecretLedger } from './support/secrets';
import { unique, World, type Person } from './support/world';

const PARALLEL = 50;

describeEachDatabase('races', (getDatabase) => {
  let server: InProcessServer;
  let world: World;
  let admin: Person;
  let adminSession: string;
  const ledger = new SecretLedger();

  beforeAll(async () => {
    const database = databaseIfAvailable(getDatabase);
    if (!database) return;
    world = new World(database.db, ledger);
    server = await startInProcessServer({ db: database.db });
    admin = await world.person('race-admin');
    adminSession = await world.session(admin);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  async function teamTokenIds(teamId: number): Promise<number[]> {
    const rows = await getDatabase()
      .db.selectFrom('api_tokens')
      .select('id')
      .where('team_id', '=', teamId)
      .orderBy('id')
      .execute();
    return rows.map((r) => Number(r.id));
  }

  it(`${PARALLEL} creates and ${PARALLEL} deletes at once on one team lose and duplicate nothing (REST)`, async () => {
    const team = await world.team(admin, 'race-rest');
    const acting = await world.token(admin, { teamId: team.id });
    const doomed = await Promise.all(Array.from({ length: PARALLEL }, () => world.token(admin, { teamId: team.id })));

    const names = Array.from({ length: PARALLEL }, (_, i) => `parallel ${i} ${unique('r')}`);
    const [creates, deletes] = await Promise.all([
      Promise.all(
        names.map((name) => rest(server.url, 'POST', '/api/v1/tokens', { token: acting.token, body: { name } })),
      ),
      Promise.all(doomed.map((t) => rest(server.url, 'DELETE', `/api/v1/tokens/${t.id}`, { token: acting.token }))),
    ]);
    for (const c of creates) if (c.body?.token) ledger.add('token', c.body.token);

    expect(creates.map((c) => c.status)).toEqual(Array(PARALLEL).fill(201));
    expect(deletes.map((d) => d.status)).toEqual(Array(PARALLEL).fill(204));
    const createdIds = creates.map((c) => c.body.id as number);
    expect(new Set(createdIds).size).toBe(PARALLEL);
    expect(new Set(creates.map((c) => c.body.token)).size).toBe(PARALLEL);
    expect(creates.map((c) => c.body.name).sort()).toEqual([...names].sort());
    expect(await teamTokenIds(team.id)).toEqual([acting.id, ...createdIds].sort((a, b) => a - b));

    // The API agrees, page by page, and every new token works as the team's.
    const listed: number[] = [];
    let cursor: number | null = null;
    do {
      const page = await rest(server.url, 'GET', `/api/v1/tokens?limit=7${cursor ? `&cursor=${cursor}` : ''}`, {
        token: acting.token,
      });
      expect(page.status).toBe(200);
      listed.push(...page.body.tokens.map((t: { id: number }) => t.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(listed).toEqual([acting.id, ...createdIds].sort((a, b) => b - a));
    const uses = await Promise.all(creates.map((c) => rest(server.url, 'GET', '/api/v1/me', { token: c.body.token })));
    expect(uses.map((u) => [u.status, u.body.team?.id])).toEqual(Array(PARALLEL).fill([200, team.id]));
  }, 60_000);

  it(
    `${PARALLEL} create-then-delete chains beside ${PARALLEL} creates on one team ` +
      'leave exactly the kept tokens (tRPC)',
    async () => {
      const team = await world.team(admin, 'race-trpc');
      const create = (name: string) =>
        trpc(server.url, 'mutation', 'apiToken.create', { teamId: team.id, name }, { sessionId: adminSession });
      const [kept, chains] = await Promise.all([
        Promise.all(Array.from({ length: PARALLEL }, (_, i) => create(`kept ${i}`))),
        Promise.all(
          Array.from({ length: PARALLEL }, async (_, i) => {
            const made = await create(`fleeting ${i}`);
            const gone = await trpc(
              server.url,
              'mutation',
              'apiToken.delete',
              { id: made.data?.id, teamId: team.id },
              { sessionId: adminSession },
            );
            return { made, gone };
          }),
        ),
      ]);
      for (const r of [...kept, ...chains.map((c) => c.made)]) if (r.data?.token) ledger.add('token', r.data.token);
      expect(kept.map((r) => r.status)).toEqual(Array(PARALLEL).fill(200));
      expect(chains.map((c) => [c.made.status, c.gone.status])).toEqual(Array(PARALLEL).fill([200, 200]));
      const keptIds = kept.map((r) => r.data.id as number).sort((a, b) => a - b);
      expect(new Set(keptIds).size).toBe(PARALLEL);
      expect(await teamTokenIds(team.id)).toEqual(keptIds);
      const listed = await trpc(
        server.url,
        'query',
        'apiToken.getMany',
        { teamId: team.id },
        { sessionId: adminSession },
      );
      expect(listed.data.map((t: { id: number }) => t.id)).toEqual([...keptIds].reverse());
    },
    60_000,
  );

  it('parallel rotations of a token (grace 0) leave exactly one successor; parallel deletes succeed once', async () => {
    const owner = await world.person('rotator');
    for (let round = 0; round < 5; round++) {
      const original = await world.token(owner);
      const rotations = await Promise.all(
        Array.from({ length: 10 }, () =>
          rest(server.url, 'POST', `/api/v1/tokens/${original.id}/rotate`, {
            token: original.token,
            body: { gracePeriodSeconds: 0 },
          }),
        ),
      );
      for (const r of rotations) if (r.body?.token) ledger.add('token', r.body.token);
      const statuses = rotations.map((r) => r.status).sort();
      // One wins; the others find the token gone (401 once the request check runs after the win, 404 inside the race).
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(
        statuses.every((s) => s === 201 || s === 401 || s === 404),
        statuses.join(','),
      ).toBe(true);
      const rows = await getDatabase()
        .db.selectFrom('api_tokens')
        .select(['id', 'name'])
        .where('user_id', '=', owner.id)
        .execute();
      expect(
        rows.map((r) => r.name),
        `round ${round}`,
      ).toEqual([original.name]);
      await getDatabase().db.deleteFrom('api_tokens').where('user_id', '=', owner.id).execute();
    }
    const victim = await world.token(owner);
    const manager = await world.token(owner);
    const deletes = await Promise.all(
      Array.from({ length: 10 }, () =>
        rest(server.url, 'DELETE', `/api/v1/tokens/${victim.id}`, { token: manager.token }),
      ),
    );
    expect(deletes.map((d) => d.status).sort()).toEqual([204, ...Array(9).fill(404)]);
  }, 60_000);

  it('parallel demotions and removals never leave a team without an ADMIN', async () => {
    const ADMINS = 5;
    for (let round = 0; round < 4; round++) {
      const admins = await Promise.all(Array.from({ length: ADMINS }, (_, i) => world.person(`admin${i}`)));
      const team: PublicTeam = await world.team(
        admins[0]!,
        `demote-${round}`,
        admins.slice(1).map((p) => [p, 'ADMIN']),
      );
      const sessions = await Promise.all(admins.map((p) => world.session(p)));
      // Every admin demotes the next one and removes the one after, all at once; half the rounds also
      // demote themselves.
      const calls = admins.flatMap((_, i) => {
        const next = admins[(i + 1) % ADMINS]!;
        const afterNext = admins[(i + 2) % ADMINS]!;
        const own = { sessionId: sessions[i]! };
        const list = [
          trpc(
            server.url,
            'mutation',
            'team.members.updateRole',
            { teamId: team.id, userId: next.id, role: round % 2 ? 'MEMBER' : 'MANAGER' },
            own,
          ),
          trpc(server.url, 'mutation', 'team.members.remove', { teamId: team.id, userId: afterNext.id }, own),
        ];
        if (round % 2 === 0)
          list.push(
            trpc(
              server.url,
              'mutation',
              'team.members.updateRole',
              { teamId: team.id, userId: admins[i]!.id, role: 'MEMBER' },
              own,
            ),
          );
        return list;
      });
      const results = await Promise.all(calls);
      // Refusals are the last-admin rule (400), a caller who is no longer ADMIN (403), or no longer a
      // member at all (404).
      for (const r of results) expect([200, 400, 403, 404], r.text).toContain(r.status);
      const roles = await getDatabase()
        .db.selectFrom('team_members')
        .select(['user_id', 'role'])
        .where('team_id', '=', team.id)
        .execute();
      const remainingAdmins = roles.filter((r) => r.role === 'ADMIN');
      expect(remainingAdmins.length, `round ${round}: ${JSON.stringify(roles)}`).toBeGreaterThanOrEqual(1);
      expect(results.some((r) => r.status === 200)).toBe(true);
    }
  }, 60_000);

  it('parallel sign-ups with one e-mail (in any case) create exactly one user with one session', async () => {
    const local = unique('twin');
    const spellings = [`${local}@example.test`, `${local.toUpperCase()}@EXAMPLE.TEST`, ` ${local}@Example.Test `];
    const attempts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const password = `twin-password-${i}-${local}`;
        ledger.add('password', password);
        return trpc(server.url, 'mutation', 'auth.signUp', {
          name: `Twin ${i}`,
          email: spellings[i % spellings.length],
          password,
        });
      }),
    );
    for (const a of attempts) for (const id of a.setSessionIds) ledger.add('session', id);
    const statuses = attempts.map((a) => a.status).sort();
    expect(statuses).toEqual([200, ...Array(19).fill(409)]);
    for (const a of attempts.filter((x) => x.status === 409))
      expect(a.error?.message).toBe('An account with this e-mail already exists');
    const users = await getDatabase()
      .db.selectFrom('users')
      .select('id')
      .where('email', '=', `${local}@example.test`.toLowerCase())
      .execute();
    expect(users).toHaveLength(1);
    const sessions = await getDatabase()
      .db.selectFrom('sessions')
      .select('id')
      .where('user_id', '=', users[0]!.id)
      .execute();
    expect(sessions).toHaveLength(1);
    expect(attempts.flatMap((a) => a.setSessionIds)).toHaveLength(1);
  }, 60_000);

  it('parallel team creations with a slug make one team; parallel adds of a member make one membership', async () => {
    const slug = unique('slug').toLowerCase();
    const creators = await Promise.all(Array.from({ length: 10 }, (_, i) => world.person(`founder${i}`)));
    const sessions = await Promise.all(creators.map((c) => world.session(c)));
    const made = await Promise.all(
      sessions.map((sessionId) =>
        trpc(server.url, 'mutation', 'team.create', { name: 'Same Slug', slug }, { sessionId }),
      ),
    );
    expect(made.map((m) => m.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    const teams = await getDatabase().db.selectFrom('teams').select('id').where('slug', '=', slug).execute();
    expect(teams).toHaveLength(1);
    const members = await getDatabase()
      .db.selectFrom('team_members')
      .select(['user_id', 'role'])
      .where('team_id', '=', teams[0]!.id)
      .execute();
    expect(members).toHaveLength(1);
    expect(members[0]!.role).toBe('ADMIN');

    const founder = creators[made.findIndex((m) => m.status === 200)]!;
    const founderSession = sessions[made.findIndex((m) => m.status === 200)]!;
    const joiner = await world.person('joiner');
    const adds = await Promise.all(
      Array.from({ length: 10 }, () =>
        trpc(
          server.url,
          'mutation',
          'team.members.add',
          { teamId: teams[0]!.id, email: joiner.email, role: 'MEMBER' },
          { sessionId: founderSession },
        ),
      ),
    );
    expect(adds.map((a) => a.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    const after = await getDatabase()
      .db.selectFrom('team_members')
      .select('user_id')
      .where('team_id', '=', teams[0]!.id)
      .orderBy('user_id')
      .execute();
    expect(after.map((m) => Number(m.user_id))).toEqual([founder.id, joiner.id].sort((a, b) => a - b));
  }, 60_000);

  it('logged no token, password or session id, and stored none', async () => {
    expect(ledger.findIn(server.logText())).toEqual([]);
    expect((await ledger.findInDatabase(getDatabase().db)).found).toEqual([]);
  });
});
