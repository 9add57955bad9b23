// Secrets: every way a plain token, a password or a session id passes through the server (sign-up,
// sign-in, wrong passwords, cookies, tokens in the header, the path, the query, the body, a
// request id, bad JSON, rotation), against an in-process server logging at debug level and the
// real server in a child process logging at trace level. None of them may appear in any log line
// or in any database column; what is stored is only their hash.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiToken, hashSecret } from '@latchkey/lib';
import { createTestDatabase, type TestDatabase } from '@latchkey/lib/testing';
import { freePort, startChildServer, type ChildServer } from './support/child-server';
import { rest, trpc } from './support/http';
import { startInProcessServer, type InProcessServer } from './support/in-process-server';
import { SecretLedger } from './support/secrets';
import { unique } from './support/world';

/** Drives the server through every path a secret can take; returns what it should have stored as hashes. */
async function exercise(baseUrl: string, ledger: SecretLedger) {
  const email = `${unique('secret')}@example.test`;
  const password = `correct horse ${unique('battery')}`;
  const wrongPassword = `${password} but wrong`;
  ledger.add('password', password);
  ledger.add('password', wrongPassword);

  const signUp = await trpc(baseUrl, 'mutation', 'auth.signUp', { name: 'Secret Keeper', email, password });
  expect(signUp.status).toBe(200);
  expect(signUp.setSessionIds).toHaveLength(1);
  const firstSession = signUp.setSessionIds[0]!;
  ledger.add('session', firstSession);

  const wrong = await trpc(baseUrl, 'mutation', 'auth.signIn', { email, password: wrongPassword });
  expect(wrong.status).toBe(401);
  const badInput = await trpc(baseUrl, 'mutation', 'auth.signUp', {
    name: '',
    email: 'not an e-mail',
    password: wrongPassword.slice(0, 5),
  });
  expect(badInput.status).toBe(400);
  // A client that sends sign-in as a query puts the password in the URL.
  const asQuery = await trpc(baseUrl, 'query', 'auth.signIn', { email, password });
  expect(asQuery.status).toBeGreaterThanOrEqual(400);

  const signIn = await trpc(baseUrl, 'mutation', 'auth.signIn', { email, password });
  expect(signIn.status).toBe(200);
  const sessionId = signIn.setSessionIds[0]!;
  ledger.add('session', sessionId);
  expect((await trpc(baseUrl, 'query', 'auth.me', undefined, { sessionId })).data.user.email).toBe(email);
  // A session id where it does not belong: beside a second one, and sent to the REST API.
  expect(
    (
      await trpc(baseUrl, 'query', 'auth.me', undefined, {
        cookie: `theme=dark; latchkey_session=${sessionId}; latchkey_session=${firstSession}`,
      })
    ).status,
  ).toBe(200);
  expect(
    (await rest(baseUrl, 'GET', '/api/v1/me', { headers: { cookie: `latchkey_session=${sessionId}` } })).status,
  ).toBe(401);

  const created = await trpc(baseUrl, 'mutation', 'apiToken.create', { name: 'secret token' }, { sessionId });
  expect(created.status).toBe(200);
  const token = created.data.token as string;
  ledger.add('token', token);
  const rotated = await trpc(
    baseUrl,
    'mutation',
    'apiToken.rotate',
    { id: created.data.id, gracePeriodSeconds: 60 },
    { sessionId },
  );
  expect(rotated.status).toBe(200);
  const successor = rotated.data.token as string;
  ledger.add('token', successor);
  const team = await trpc(
    baseUrl,
    'mutation',
    'team.create',
    { name: 'Secret Team', slug: unique('s').toLowerCase() },
    { sessionId },
  );
  const teamToken = await trpc(
    baseUrl,
    'mutation',
    'apiToken.create',
    { name: 'team secret', teamId: team.data.id },
    { sessionId },
  );
  ledger.add('token', teamToken.data.token);
  const unknown = generateApiToken();
  ledger.add('token', unknown);

  // Tokens in the header, valid, in its grace period, unknown, and in every spelling.
  for (const authorization of [
    `Bearer ${successor}`,
    `bearer ${token}`,
    successor,
    `Bearer ${unknown}`,
    `Basic ${successor}`,
    `Bearer ${successor} ${token}`,
  ]) {
    const response = await rest(baseUrl, 'GET', '/api/v1/me', { authorization });
    expect([200, 401]).toContain(response.status);
  }
  // Tokens where they do not belong: the path, the query, a body, bad JSON, a request id, a cookie.
  expect((await rest(baseUrl, 'GET', `/api/v1/tokens/${successor}`, { token: successor })).status).toBe(400);
  expect((await rest(baseUrl, 'GET', `/api/v1/${successor}`, { token: successor })).status).toBe(404);
  expect(
    (await rest(baseUrl, 'GET', `/api/v1/tokens?token=${successor}&limit=${token}`, { token: successor })).status,
  ).toBe(400);
  expect(
    (await rest(baseUrl, 'POST', '/api/v1/tokens', { token: successor, body: { name: 7, token: successor, password } }))
      .status,
  ).toBe(400);
  const badJson = await fetch(`${baseUrl}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${successor}`, 'content-type': 'application/json' },
    body: `{"name":"${successor}`,
  });
  expect(badJson.status).toBe(400);
  // ... and in any case of the path and any spelling of the query: percent-encoded once, twice, or
  // every character (each of these reached the log before its fix).
  const everyCharEncoded = (text: string) =>
    [...text].map((char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
  const signInInput = encodeURIComponent(JSON.stringify({ json: { email, password } }));
  expect((await rest(baseUrl, 'GET', `/API/TRPC/auth.signIn?input=${signInInput}`)).status).toBe(405);
  expect((await rest(baseUrl, 'GET', `/Api/tRPC/auth.signIn?batch=1&input=${signInInput}`)).status).toBe(405);
  for (const query of [
    `access_token=${successor.replace('_', '%5F')}`,
    `t=${everyCharEncoded(successor)}`,
    `t=${successor.replace('_', '%255F')}`,
    `note=${encodeURIComponent(`see ${successor}`)}`,
    `password=${encodeURIComponent(password)}`,
    `s=${sessionId}`,
  ]) {
    // /me takes no query parameter: each is refused (400, naming the parameter, never its value).
    expect((await rest(baseUrl, 'GET', `/api/v1/me?${query}`, { token: successor })).status, query).toBe(400);
  }
  expect(
    (await rest(baseUrl, 'GET', `/api/v1/tokens/${successor.replace('_', '%5F')}`, { token: successor })).status,
  ).toBe(400);
  const withTokenAsRequestId = await rest(baseUrl, 'GET', '/api/v1/me', {
    token: successor,
    headers: { 'x-request-id': successor },
  });
  expect(withTokenAsRequestId.status).toBe(200);
  // The request id is on every log line: a token-shaped one is replaced, not echoed (it was, before the fix).
  expect(withTokenAsRequestId.headers.get('x-request-id')).not.toBe(successor);
  expect(
    (await rest(baseUrl, 'GET', '/api/health', { headers: { 'x-request-id': 'trace-42.a_b' } })).headers.get(
      'x-request-id',
    ),
  ).toBe('trace-42.a_b');
  expect(
    (await rest(baseUrl, 'GET', '/api/v1/me', { headers: { cookie: `token=${successor}`, 'x-api-key': token } }))
      .status,
  ).toBe(401);
  expect(
    (await trpc(baseUrl, 'query', 'apiToken.getMany', { teamId: null, token: successor }, { sessionId })).status,
  ).toBe(200);

  const deleted = await rest(baseUrl, 'DELETE', '/api/v1/tokens/self', { token: successor });
  expect(deleted.status).toBe(204);
  expect((await rest(baseUrl, 'GET', '/api/v1/me', { token: successor })).status).toBe(401);
  const signOut = await trpc(baseUrl, 'mutation', 'auth.signOut', undefined, { sessionId: firstSession });
  expect(signOut.status).toBe(200);
  return { email, sessionId, teamToken: teamToken.data.token as string };
}

async function expectOnlyHashesStored(
  database: TestDatabase,
  stored: { email: string; sessionId: string; teamToken: string },
) {
  const { db } = database;
  const session = await db
    .selectFrom('sessions')
    .select('token_hash')
    .where('token_hash', '=', hashSecret(stored.sessionId))
    .executeTakeFirst();
  expect(session?.token_hash).toMatch(/^[0-9a-f]{64}$/);
  const token = await db
    .selectFrom('api_tokens')
    .select(['token_hash', 'algorithm', 'start'])
    .where('token_hash', '=', hashSecret(stored.teamToken))
    .executeTakeFirst();
  expect(token).toEqual({
    token_hash: hashSecret(stored.teamToken),
    algorithm: 'sha256',
    start: stored.teamToken.slice(0, 8),
  });
  const user = await db
    .selectFrom('users')
    .select('password_hash')
    .where('email', '=', stored.email)
    .executeTakeFirstOrThrow();
  expect(user.password_hash).toMatch(/^scrypt\$/);
  // Every column of every table, including the migrations' own.
  const { rows } = await sql<Record<string, unknown>>`select * from latchkey_migrations`.execute(db);
  expect(rows.length).toBeGreaterThan(0);
}

describe('secrets, in-process server logging at debug level', () => {
  let database: TestDatabase;
  let server: InProcessServer;
  const ledger = new SecretLedger();
  let stored: Awaited<ReturnType<typeof exercise>>;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    server = await startInProcessServer({ db: database.db });
    stored = await exercise(server.url, ledger);
    await server.app.latchkey.usage?.flush();
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('wrote a log line for every request, and no secret in any of them', () => {
    const log = server.logText();
    expect(log.split('\n').filter((line) => line.includes('"msg":"request"')).length).toBeGreaterThan(25);
    expect(ledger.size).toBeGreaterThanOrEqual(8);
    expect(ledger.findIn(log)).toEqual([]);
  });

  it('stored every secret only as a hash: no column of any table holds one', async () => {
    await expectOnlyHashesStored(database, stored);
    const scan = await ledger.findInDatabase(database.db);
    expect(scan.rowsScanned).toBeGreaterThan(5);
    expect(scan.found).toEqual([]);
  });
});

describe('secrets, the real server in a child process logging at trace level', () => {
  let database: TestDatabase;
  let child: ChildServer;
  const output: string[] = [];
  const ledger = new SecretLedger();
  let stored: Awaited<ReturnType<typeof exercise>>;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    child = await startChildServer({
      databaseUrl: database.url,
      port: await freePort(),
      env: { LOG_LEVEL: 'trace' },
      output,
    });
    stored = await exercise(child.url, ledger);
    // A graceful stop writes pending last-use times and logs its shutdown.
    await child.kill('SIGTERM');
  }, 60_000);

  afterAll(async () => {
    await child?.kill();
    await database?.drop();
  });

  it('printed a log line for every request, and no secret in any of them', () => {
    const log = output.join('');
    expect(log.split('\n').filter((line) => line.includes('"msg":"request"')).length).toBeGreaterThan(25);
    expect(log).toContain('"msg":"stopped"');
    expect(ledger.findIn(log)).toEqual([]);
  });

  it('stored every secret only as a hash: no column of any table holds one', async () => {
    await expectOnlyHashesStored(database, stored);
    expect((await ledger.findInDatabase(database.db)).found).toEqual([]);
  });
});
