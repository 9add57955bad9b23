// @latchkey/client against the real server in a child process, started as an operator starts it
// (`src/main.ts` on a SQLite file): create, list, read, rotate and delete through the typed calls.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLatchkeyClient, type CreateTokenRequest } from '@latchkey/client';
import { createApiToken, createUser, systemClock, TOKEN_REGEX } from '@latchkey/lib';
import { createTestDatabase, type TestDatabase } from '@latchkey/lib/testing';
import { freePort, startChildServer, type ChildServer } from './reliability/support/child-server';

let database: TestDatabase;
let child: ChildServer;
const output: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  child = await startChildServer({ databaseUrl: database.url, port: await freePort(), output });
}, 90_000);
afterAll(async () => {
  await child?.kill();
  await database?.drop();
});

it('creates, lists, reads, rotates and deletes tokens through the client', async () => {
  const db = database.db;
  const email = 'client@example.com';
  const user = await createUser({ db, clock: systemClock, email, name: 'Client User', password: 'a long password' });
  const root = await createApiToken({ db, clock: systemClock, userId: user.id, teamId: null, name: 'root' });
  const client = createLatchkeyClient({ baseUrl: child.url, token: root.token });

  const me = await client.GET('/me');
  expect(me.response.status).toBe(200);
  expect(me.data?.user).toEqual({ id: user.id, name: 'Client User', email });

  const body = { name: 'deploy', expiresIn: 'ONE_MONTH', scopes: ['tokens:read'] } satisfies CreateTokenRequest;
  const created = await client.POST('/tokens', { body });
  expect(created.response.status).toBe(201);
  const deploy = created.data!;
  expect(deploy.token).toMatch(TOKEN_REGEX);
  expect(deploy.scopes).toEqual(['tokens:read']);

  const list = await client.GET('/tokens', { params: { query: { limit: 1 } } });
  expect(list.data?.tokens.map((t) => t.id)).toEqual([deploy.id]);
  const rest = await client.GET('/tokens', { params: { query: { limit: 1, cursor: list.data!.nextCursor! } } });
  expect(rest.data?.tokens).toEqual([expect.objectContaining({ id: root.id, name: 'root', status: 'active' })]);
  expect(rest.data?.nextCursor).toBeNull();

  const rotate = { params: { path: { id: deploy.id } }, body: { gracePeriodSeconds: 0 } };
  const rotated = await client.POST('/tokens/{id}/rotate', rotate);
  expect(rotated.response.status).toBe(201);
  const successor = rotated.data!;
  expect(successor).toMatchObject({ name: 'deploy', scopes: ['tokens:read'] });
  const self = { params: { path: { id: 'self' as const } } };
  const viaOld = await createLatchkeyClient({ baseUrl: child.url, token: deploy.token }).GET('/tokens/{id}', self);
  expect(viaOld.response.status).toBe(401);
  expect(viaOld.error?.code).toBe('UNAUTHORIZED');
  const viaNew = await createLatchkeyClient({ baseUrl: child.url, token: successor.token }).GET('/tokens/{id}', self);
  expect(viaNew.data?.id).toBe(successor.id);

  const deleted = await client.DELETE('/tokens/{id}', { params: { path: { id: successor.id } } });
  expect(deleted.response.status).toBe(204);
  const gone = await client.GET('/tokens/{id}', { params: { path: { id: successor.id } } });
  expect(gone.response.status).toBe(404);
  expect(gone.error).toEqual({ code: 'NOT_FOUND', message: 'API token not found' });
  expect((await client.GET('/tokens')).data?.tokens.map((t) => t.id)).toEqual([root.id]);

  const log = output.join('');
  for (const secret of [root.token, deploy.token, successor.token]) expect(log).not.toContain(secret);
});
