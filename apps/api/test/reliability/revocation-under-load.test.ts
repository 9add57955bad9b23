// Revocation under load: while sixteen clients use a token as fast as they can (GET /api/v1/me),
// it is deleted or rotated away (grace period 0), through REST and through tRPC. Every request
// that starts after the revoking call has returned must fail with 401; none may succeed.
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CreatedApiToken } from '@latchkey/lib';
import { describeEachDatabase } from '@latchkey/lib/testing';
import { databaseIfAvailable } from './support/databases';
import { trpc } from './support/http';
import { startInProcessServer, type InProcessServer } from './support/in-process-server';
import { requestJson } from './support/node-http';
import { SecretLedger } from './support/secrets';
import { World, type Person } from './support/world';

const CLIENTS = 16;
const BEFORE_MS = 300;
const AFTER_MS = 300;

type Use = { start: number; end: number; status: number };

describeEachDatabase('revocation under load', (getDatabase) => {
  let server: InProcessServer;
  let world: World;
  let owner: Person;
  let sessionId: string;
  let manager: CreatedApiToken;
  const ledger = new SecretLedger();
  const summary: string[] = [];

  beforeAll(async () => {
    const database = databaseIfAvailable(getDatabase);
    if (!database) return;
    world = new World(database.db, ledger);
    server = await startInProcessServer({ db: database.db });
    owner = await world.person('revoker');
    sessionId = await world.session(owner);
    // The token that does the revoking through REST; the one under load is another.
    manager = await world.token(owner);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    if (summary.length)
      console.log(`revocation under load [${databaseIfAvailable(getDatabase)?.kind}]: ${summary.join('; ')}`);
  });

  /**
   * Uses `token` from CLIENTS clients; `revoke` runs after BEFORE_MS and the load goes on AFTER_MS after
   * it returned.
   */
  async function underLoad(
    token: string,
    revoke: () => Promise<void>,
  ): Promise<{ uses: Use[]; revokeStarted: number; revokeReturned: number }> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    const uses: Use[] = [];
    let stopAt = Number.POSITIVE_INFINITY;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < stopAt) {
        const start = performance.now();
        const response = await requestJson(agent, `${server.url}/api/v1/me`, { token });
        uses.push({ start, end: performance.now(), status: response.status });
      }
    });
    await new Promise((resolve) => setTimeout(resolve, BEFORE_MS));
    const revokeStarted = performance.now();
    await revoke();
    const revokeReturned = performance.now();
    stopAt = revokeReturned + AFTER_MS;
    await Promise.all(clients);
    agent.destroy();
    return { uses, revokeStarted, revokeReturned };
  }

  function expectRevoked(label: string, run: Awaited<ReturnType<typeof underLoad>>) {
    const startedAfter = run.uses.filter((u) => u.start > run.revokeReturned);
    const doneBefore = run.uses.filter((u) => u.end < run.revokeStarted);
    const lateSuccesses = startedAfter.filter((u) => u.status !== 401);
    const okBefore = doneBefore.filter((u) => u.status === 200).length;
    summary.push(
      `${label}: ${run.uses.length} uses, ${doneBefore.length} before (${okBefore} ok), ` +
        `${startedAfter.length} started after the revoke returned (${lateSuccesses.length} not 401)`,
    );
    expect(lateSuccesses, label).toEqual([]);
    // The run meant something: the token worked under load before, and was tried often after.
    expect(doneBefore.length, label).toBeGreaterThan(20);
    expect(
      doneBefore.every((u) => u.status === 200),
      label,
    ).toBe(true);
    expect(startedAfter.length, label).toBeGreaterThan(20);
    expect(
      run.uses.every((u) => u.status === 200 || u.status === 401),
      label,
    ).toBe(true);
  }

  it('a token deleted through REST fails every request that starts after the DELETE returned', async () => {
    const token = await world.token(owner);
    const run = await underLoad(token.token, async () => {
      const response = await requestJson(new http.Agent(), `${server.url}/api/v1/tokens/${token.id}`, {
        method: 'DELETE',
        token: manager.token,
      });
      expect(response.status).toBe(204);
    });
    expectRevoked('REST DELETE', run);
  }, 30_000);

  it('a token deleted through tRPC fails every request that starts after the mutation returned', async () => {
    const token = await world.token(owner);
    const run = await underLoad(token.token, async () => {
      const result = await trpc(server.url, 'mutation', 'apiToken.delete', { id: token.id }, { sessionId });
      expect(result.status).toBe(200);
    });
    expectRevoked('tRPC apiToken.delete', run);
  }, 30_000);

  it('a token rotating itself (REST `self`) with gracePeriodSeconds 0 stops at once; its successor works', async () => {
    const token = await world.token(owner);
    let successor = '';
    const run = await underLoad(token.token, async () => {
      const response = await requestJson(new http.Agent(), `${server.url}/api/v1/tokens/self/rotate`, {
        method: 'POST',
        token: token.token,
        body: { gracePeriodSeconds: 0 },
      });
      expect(response.status).toBe(201);
      successor = response.body.token;
      ledger.add('token', successor);
    });
    expectRevoked('REST rotate self, grace 0', run);
    expect((await requestJson(new http.Agent(), `${server.url}/api/v1/me`, { token: successor })).status).toBe(200);
  }, 30_000);

  it('a token rotated through tRPC with gracePeriodSeconds 0 stops at once, and its successor works', async () => {
    const token = await world.token(owner);
    let successor = '';
    const run = await underLoad(token.token, async () => {
      const result = await trpc(
        server.url,
        'mutation',
        'apiToken.rotate',
        { id: token.id, gracePeriodSeconds: 0 },
        { sessionId },
      );
      expect(result.status).toBe(200);
      successor = result.data.token;
      ledger.add('token', successor);
    });
    expectRevoked('tRPC apiToken.rotate, grace 0', run);
    expect((await requestJson(new http.Agent(), `${server.url}/api/v1/me`, { token: successor })).status).toBe(200);
  }, 30_000);

  it('logged no token, password or session id, and stored none', async () => {
    expect(ledger.findIn(server.logText())).toEqual([]);
    expect((await ledger.findInDatabase(getDatabase().db)).found).toEqual([]);
  });
});
