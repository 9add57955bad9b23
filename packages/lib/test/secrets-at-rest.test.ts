// Nothing secret is stored: not a plain token, a password, a session id or a service client's secret, in any
// column of any table.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { Db } from '../src/db/create-database';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { createUsageRecorder } from '../src/server-only/runtime/usage-recorder';
import { createVerifier } from '../src/server-only/runtime/verifier';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { createSession } from '../src/server-only/session/create-session';
import { createTeam } from '../src/server-only/team/create-team';
import { addTeamMember } from '../src/server-only/team/add-team-member';
import { createServiceClient } from '../src/server-only/service-client/create-service-client';
import { createUser } from '../src/server-only/user/create-user';
import { describeEachDatabase } from '../src/testing/index';
import { generateApiToken } from '../src/universal/token-format';
import { getApiTokenByToken, unique } from './helpers';

async function tableNames(db: Db, kind: 'sqlite' | 'postgres'): Promise<string[]> {
  const query =
    kind === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`
      : sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'`;
  const { rows } = await query.execute(db);
  return rows.map((r) => r.name).sort();
}

/** Every value of every row of every table, as text, with where it came from. */
async function everyStoredValue(db: Db, kind: 'sqlite' | 'postgres'): Promise<Array<{ where: string; text: string }>> {
  const values: Array<{ where: string; text: string }> = [];
  for (const table of await tableNames(db, kind)) {
    const { rows } = await sql<
      Record<string, string | number | bigint | boolean | Buffer | null>
    >`select * from ${sql.table(table)}`.execute(db);
    for (const [i, row] of rows.entries()) {
      for (const [column, value] of Object.entries(row)) {
        if (value === null || value === undefined) continue;
        const text = Buffer.isBuffer(value)
          ? `${value.toString('utf8')} ${value.toString('hex')} ${value.toString('base64')}`
          : String(value);
        values.push({ where: `${table}[${i}].${column}`, text });
      }
    }
  }
  return values;
}

describeEachDatabase('secrets at rest', (getDatabase) => {
  it('lists the five application tables on this database', async () => {
    const { db, kind } = getDatabase();
    const tables = await tableNames(db, kind);
    for (const table of ['users', 'sessions', 'teams', 'team_members', 'api_tokens']) expect(tables).toContain(table);
  });

  it('no column of any row holds a plain token, password or session id', async () => {
    const { db, kind } = getDatabase();
    const clock = new ManualClock();
    const secrets: string[] = [];
    const known: string[] = [];

    const passwords = [`Correct horse ${unique()}`, `hunter2-${unique()}`];
    const alice = await createUser({
      db,
      clock,
      email: `${unique('alice')}@example.test`,
      name: 'Alice',
      password: passwords[0]!,
    });
    const bob = await createUser({
      db,
      clock,
      email: `${unique('bob')}@example.test`,
      name: 'Bob',
      password: passwords[1]!,
    });
    secrets.push(...passwords);
    known.push(alice.email, bob.email);

    for (const user of [alice, bob, alice]) {
      const { sessionId } = await createSession({ db, clock, userId: user.id });
      secrets.push(sessionId);
    }

    const slug = unique('secret-team').toLowerCase();
    const team = await createTeam({ db, clock, userId: alice.id, name: 'Secret team', slug });
    await addTeamMember({ db, clock, userId: alice.id, teamId: team.id, email: bob.email, role: 'MEMBER' });
    known.push(slug);

    const personal = await createApiToken({ db, clock, userId: alice.id, name: 'Personal token' });
    const teamToken = await createApiToken({
      db,
      clock,
      userId: alice.id,
      teamId: team.id,
      name: 'Team token',
      expiresIn: 'ONE_MONTH',
    });
    // The old token of a rotation with a grace period stays stored; its value must not.
    const rotated = await rotateApiToken({ db, clock, userId: alice.id, id: personal.id, gracePeriodSeconds: 600 });
    const bobs = await createApiToken({ db, clock, userId: bob.id, name: 'Bob token', scopes: ['tokens:read'] });
    const usage = createUsageRecorder({ db, clock });
    const verifier = createVerifier({ db, clock, cache: null, limiter: null, usage });
    for (const t of [personal, teamToken, rotated, bobs])
      expect((await verifier.verify(t.token, { ip: '192.0.2.7' })).ok).toBe(true);
    await usage.close();
    for (const t of [personal, teamToken, rotated, bobs]) {
      // The whole token, and its random part without prefix or checksum.
      secrets.push(t.token, t.token.slice(4, 34));
      known.push(t.start);
    }
    // A service client's secret, whole and without its prefix; its client_id is not a secret.
    const service = await createServiceClient({ db, clock, name: 'Scanned service' });
    secrets.push(service.clientSecret, service.clientSecret.slice(4));
    known.push(service.clientId);

    const values = await everyStoredValue(db, kind);
    // The scan does read the data: it finds e-mails, slugs and display hints it is allowed to.
    for (const value of known)
      expect(
        values.some((v) => v.text.includes(value)),
        value,
      ).toBe(true);
    expect(values.some((v) => v.where.startsWith('api_tokens') && v.where.endsWith('.last_used_at'))).toBe(true);

    for (const secret of secrets) {
      const leaks = values.filter((v) => v.text.toLowerCase().includes(secret.toLowerCase())).map((v) => v.where);
      expect(leaks, `a secret is stored in ${leaks.join(', ')}`).toEqual([]);
    }
  });

  it('stores tokens and session ids as SHA-256 hex with the algorithm’s name, passwords as salted scrypt', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const password = `Sesame ${unique()}`;
    const carol = await createUser({ db, clock, email: `${unique('carol')}@example.test`, name: 'Carol', password });
    const dave = await createUser({ db, clock, email: `${unique('dave')}@example.test`, name: 'Dave', password });
    const created = await createApiToken({ db, clock, userId: carol.id, name: 'Hashed token' });
    const { sessionId } = await createSession({ db, clock, userId: carol.id });
    const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

    const token = await db.selectFrom('api_tokens').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(token).toMatchObject({
      token_hash: sha256(created.token),
      algorithm: 'sha256',
      start: created.token.slice(0, 8),
    });
    expect(token.start).toHaveLength(8);

    const session = await db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', carol.id)
      .executeTakeFirstOrThrow();
    expect(session.token_hash).toBe(sha256(sessionId));

    const users = await db
      .selectFrom('users')
      .select(['id', 'password_hash'])
      .where('id', 'in', [carol.id, dave.id])
      .orderBy('id')
      .execute();
    for (const { password_hash } of users) {
      expect(password_hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/);
      expect(password_hash).not.toContain(password);
    }
    // Same password, different salt: the hashes differ.
    expect(users[0]!.password_hash).not.toBe(users[1]!.password_hash);
  });

  it('the "Invalid token" and "Expired token" errors never repeat the token', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await createUser({
      db,
      clock,
      email: `${unique('erin')}@example.test`,
      name: 'Erin',
      password: `Open ${unique()}`,
    });
    const expiring = await createApiToken({
      db,
      clock,
      userId: user.id,
      name: 'Expiring token',
      expiresIn: 'SEVEN_DAYS',
    });
    clock.advance(8 * 24 * 60 * 60 * 1000);
    const unknown = generateApiToken();
    for (const [token, message] of [
      [unknown, 'Invalid token'],
      [expiring.token, 'Expired token'],
    ] as const) {
      const error = await getApiTokenByToken({ db, clock, token }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe(message);
      expect(`${(error as Error).message} ${(error as Error).stack} ${JSON.stringify(error)}`).not.toContain(
        token.slice(4, 34),
      );
    }
  });
});
