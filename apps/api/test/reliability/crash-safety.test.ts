// Crash safety: the real server in a child process, creating tokens as fast as eight clients ask
// (POST /api/v1/tokens with a token made through the CLI), is killed with SIGKILL at a random
// moment, again and again. After each kill: no partial token row, SQLite's integrity check passes,
// and once restarted, every token whose create was answered 201 still works (GET /api/v1/me).
import http from 'node:http';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { createDatabase, type Db } from '@latchkey/lib';
import { describeEachDatabase } from '@latchkey/lib/testing';
import { runCli } from '../../src/cli/run-cli';
import { freePort, startChildServer, type ChildServer } from './support/child-server';
import { recordFigure } from './support/figures';
import { inParallel, requestJson } from './support/node-http';
import { SecretLedger } from './support/secrets';

const KILLS = 10;
const CREATORS = 8;
const SERVER_ENV = {
  RATE_LIMIT_IP_PER_MINUTE: '1000000',
  RATE_LIMIT_OWNER_PER_MINUTE: '1000000',
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1000000',
  // Every create is for one owner, well past the default cap of 1,000 tokens over the ten rounds.
  TOKEN_MAX_PER_OWNER: '1000000',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every way a row could be half-written: each must hold a hash, a start, scopes as JSON and exactly one owner. */
async function partialRows(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('api_tokens').selectAll().execute();
  const problems: string[] = [];
  for (const row of rows) {
    let scopes: unknown;
    try {
      scopes = JSON.parse(row.scopes);
    } catch {
      scopes = undefined;
    }
    const faults = [
      !/^[0-9a-f]{64}$/.test(row.token_hash ?? '') && 'hash',
      row.algorithm !== 'sha256' && 'algorithm',
      !/^api_[0-9A-Za-z]{4}$/.test(row.start ?? '') && 'start',
      !(Array.isArray(scopes) && scopes.length > 0 && scopes.every((s) => typeof s === 'string')) && 'scopes',
      (row.user_id === null) === (row.team_id === null) && 'owner',
      typeof row.name !== 'string' || row.name.length < 3 ? 'name' : false,
      !Number.isFinite(Number(row.created_at)) && 'created_at',
    ].filter(Boolean);
    if (faults.length) problems.push(`token ${row.id}: ${faults.join(', ')}`);
  }
  return problems;
}

describeEachDatabase('crash safety', (getDatabase) => {
  const ledger = new SecretLedger();
  const output: string[] = [];
  let running: ChildServer | undefined;

  afterAll(async () => {
    await running?.kill();
  });

  it(`keeps every token it answered 201 for through ${KILLS} SIGKILLs during concurrent creates`, async () => {
    const database = getDatabase();
    const env = { DATABASE_URL: database.url };
    const cliOut: string[] = [];
    const cliErr: string[] = [];
    const password = `crash-pw-${Math.random().toString(36).slice(2)}`;
    ledger.add('password', password);
    const withPassword = { ...env, LATCHKEY_PASSWORD: password };
    expect(
      await runCli(
        ['user:create', '--email', 'crash@example.test', '--name', 'Crash Tester'],
        withPassword,
        (l) => cliOut.push(l),
        (l) => cliErr.push(l),
      ),
    ).toBe(0);
    cliOut.length = 0;
    expect(
      await runCli(
        ['token:create', '--email', 'crash@example.test', '--name', 'crash parent'],
        env,
        (l) => cliOut.push(l),
        (l) => cliErr.push(l),
      ),
      cliErr.join('\n'),
    ).toBe(0);
    const parent = cliOut[0]!;
    expect(parent).toMatch(/^api_[0-9A-Za-z]{36}$/);
    ledger.add('token', parent);

    const port = await freePort();
    const created: Array<{ id: number; token: string }> = [];
    const lost = new Set<number>();
    let killsSurvived = 0;
    const rounds: string[] = [];

    async function verifyAll(server: ChildServer): Promise<void> {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      try {
        await inParallel([...created], 16, async ({ id, token }) => {
          const me = await requestJson(agent, `${server.url}/api/v1/me`, { token });
          if (me.status !== 200 || me.body?.token?.id !== id) lost.add(id);
        });
      } finally {
        agent.destroy();
      }
    }

    for (let round = 1; round <= KILLS; round++) {
      const server = await startChildServer({ databaseUrl: database.url, port, env: SERVER_ENV, output });
      running = server;
      await verifyAll(server);
      if (round > 1 && lost.size === 0) killsSurvived += 1;

      const agent = new http.Agent({ keepAlive: true, maxSockets: CREATORS });
      let stop = false;
      let killed = false;
      let inFlight = 0;
      let answered = 0;
      let cut = 0;
      const creators = Array.from({ length: CREATORS }, async (_, worker) => {
        for (let n = 0; !stop; n++) {
          inFlight += 1;
          try {
            const response = await requestJson(agent, `${server.url}/api/v1/tokens`, {
              method: 'POST',
              token: parent,
              body: { name: `crash ${round}.${worker}.${n}`, expiresIn: n % 2 ? 'ONE_YEAR' : undefined },
            });
            if (response.status === 201 && typeof response.body?.token === 'string') {
              created.push({ id: response.body.id, token: response.body.token });
              ledger.add('token', response.body.token);
              answered += 1;
            } else if (!killed) {
              throw new Error(`create answered ${response.status}: ${response.text.slice(0, 200)}`);
            }
          } catch (error) {
            // The kill cuts requests off; before it, nothing may fail.
            if (!killed) throw error;
            cut += 1;
            return;
          } finally {
            inFlight -= 1;
          }
        }
      });
      const delay = 40 + Math.floor(Math.random() * 700);
      await sleep(delay);
      const inFlightAtKill = inFlight;
      killed = true;
      const exit = await server.kill('SIGKILL');
      stop = true;
      await Promise.all(creators);
      agent.destroy();
      running = undefined;
      expect(exit.signal).toBe('SIGKILL');
      expect(inFlightAtKill, `round ${round}: the kill must land while creates are in flight`).toBeGreaterThan(0);

      expect(await partialRows(database.db), `round ${round}`).toEqual([]);
      if (database.kind === 'sqlite') {
        const fresh = createDatabase(database.url);
        try {
          const { rows } = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(fresh);
          expect(
            rows.map((r) => r.integrity_check),
            `round ${round}`,
          ).toEqual(['ok']);
          const { rows: orphans } = await sql`pragma foreign_key_check`.execute(fresh);
          expect(orphans, `round ${round}`).toEqual([]);
        } finally {
          await fresh.destroy();
        }
      }
      rounds.push(`kill ${round} after ${delay} ms: ${answered} created, ${inFlightAtKill} in flight, ${cut} cut off`);
    }

    // The last kill is survived once a final restart finds every token.
    const server = await startChildServer({ databaseUrl: database.url, port, env: SERVER_ENV, output });
    running = server;
    await verifyAll(server);
    if (lost.size === 0) killsSurvived += 1;
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
    await server.kill('SIGTERM');
    running = undefined;

    console.log(`crash safety [${database.kind}]: ${rounds.join('; ')}`);
    console.log(
      `crash safety [${database.kind}]: ${KILLS} kills, ${killsSurvived} survived, ` +
        `${created.length} tokens answered 201, ${lost.size} lost`,
    );
    recordFigure('killsSurvived', killsSurvived, database.kind);
    recordFigure('tokensLost', lost.size, database.kind);
    expect(created.length).toBeGreaterThan(KILLS * 5);
    expect([...lost]).toEqual([]);
    expect(killsSurvived).toBe(KILLS);
    // Every row is accounted for: the parent, every 201, and at most the creates the kills cut off.
    const { count } = await database.db
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(Number(count)).toBeGreaterThanOrEqual(created.length + 1);
  }, 240_000);

  it('let no token, password or session id into the server output or the database', async () => {
    expect(output.join('').length).toBeGreaterThanOrEqual(0);
    expect(ledger.count('token')).toBeGreaterThan(KILLS * 5);
    expect(ledger.findIn(output.join(''))).toEqual([]);
    expect((await ledger.findInDatabase(getDatabase().db)).found).toEqual([]);
  });
});
