// Runs every scenario of `pnpm bench` in order and collects what they measured. A scenario that
// fails is recorded as an error (its rows say ERROR) and the others still run; everything the run
// made (servers, databases, the temporary folder) is removed at the end, or on Ctrl-C.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, createServiceClient, systemClock, type Db } from '@latchkey/lib';
import { runCheckBench, sizeLabel, type CheckBenchResult } from './check-bench';
import { runCliStartBench, type CliStartResult } from './cli-start-bench';
import { runCreateBench, type CreateResult } from './create-bench';
import { environment, type Environment } from './environment';
import { proxyBinary, runForwardAuthBench } from './forward-auth-bench';
import { compareLoads, compareMeWithHealth, meRequests, type HttpComparison } from './http-bench';
import { processCpuMs } from './memory';
import { PROFILE_DIR } from './paths';
import { runPeerBetterAuth, type PeerBetterAuthResult } from './peer-better-auth';
import type { Mode, Plan, ServerKind } from './plan';
import { formatProfileSummary, summarizeProfile } from './profile-summary';
import { createPostgresDatabase, postgresUnavailable, redisUnavailable, seedServerDatabase, seedSqlite } from './seed';
import { buildServer, startServer, type ServerProcess } from './server-process';
import { listTokensOverTrpc, type ListResult } from './trpc-list-bench';
import {
  runFlushBench,
  seedUsage,
  usageOverTrpc,
  usageQueryInLibrary,
  type FlushRun,
  type UsageQueryResult,
} from './usage-bench';

export type UsageRun = {
  seed: { rows: number; seconds: number };
  trpc: UsageQueryResult;
  library: UsageQueryResult;
};

export type ServerRun = {
  kind: ServerKind;
  http: HttpComparison;
  list: ListResult;
  /** apiToken.usage with 1,000 tokens × 90 days of buckets in the table (not for the Redis server). */
  usage?: UsageRun;
  /** /me on this server (a) against a second server on the same database with USAGE_RECORDING=false (b). */
  recording?: HttpComparison;
  peakRss: number;
};

export type DatabaseKind = 'sqlite' | 'postgres';

export type BenchResults = {
  environmentBefore: Environment;
  environmentAfter?: Environment;
  check?: CheckBenchResult;
  peer?: PeerBetterAuthResult;
  httpLarge?: { http: HttpComparison; peakRss: number; tokens: number; active: number };
  /** Through nginx with forward auth (a) against /api/v1/me directly (b), SQLite. */
  forwardAuth?: HttpComparison;
  forwardAuthSkipped?: string;
  introspection?: HttpComparison;
  servers: ServerRun[];
  flush: Array<{ kind: DatabaseKind; runs: FlushRun[] }>;
  create?: CreateResult[];
  cliStart?: CliStartResult;
  postgresSkipped?: string;
  redisSkipped?: string;
  errors: string[];
  profiles: string[];
  seconds: number;
};

export type ScenarioOptions = {
  mode: Mode;
  plan: Plan;
  profile: boolean;
  postgresAdminUrl: string;
  redisUrl: string;
  /** Runs only the scenarios whose name contains this (any case). */
  only?: string;
  log: (line: string) => void;
};

export async function runScenarios({ mode, plan, profile, postgresAdminUrl, redisUrl, only, log }: ScenarioOptions) {
  const started = performance.now();
  const results: BenchResults = {
    environmentBefore: environment(),
    servers: [],
    flush: [],
    errors: [],
    profiles: [],
    seconds: 0,
  };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bench-'));
  const cleanups: Array<() => Promise<void>> = [];
  let stopping = false;
  async function cleanup() {
    if (stopping) return;
    stopping = true;
    for (const undo of cleanups.reverse())
      await undo().catch((error) => console.error(`cleanup: ${(error as Error).message}`));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const onSigint = () => void cleanup().then(() => process.exit(130));
  process.on('SIGINT', onSigint);

  async function withServer<T>(
    databaseUrl: string,
    label: string,
    body: (server: ServerProcess) => Promise<T>,
    env: Record<string, string> = {},
  ): Promise<T> {
    const server = await startServer({ databaseUrl, profile, label, env });
    const stop = () => server.stop();
    cleanups.push(stop);
    try {
      return await body(server);
    } finally {
      await server.stop();
      cleanups.splice(cleanups.indexOf(stop), 1);
    }
  }

  async function scenario(name: string, body: () => Promise<void>) {
    if (only && !name.toLowerCase().includes(only.toLowerCase())) return;
    try {
      await body();
    } catch (error) {
      const message = `${name}: ${(error as Error).stack ?? String(error)}`;
      results.errors.push(message);
      log(`ERROR in ${message}`);
    }
  }

  /** A fresh PostgreSQL database, dropped at the end of the run. */
  async function postgresDatabase(): Promise<string> {
    const database = await createPostgresDatabase(postgresAdminUrl);
    cleanups.push(() => database.drop());
    return database.url;
  }

  async function serverScenario(kind: ServerKind, databaseUrl: string, env: Record<string, string> = {}) {
    const withUsage = kind !== 'postgres+redis';
    const db = createDatabase(databaseUrl);
    const prepared = await (async () => {
      const seeded = await seedServerDatabase(db, systemClock, 1000);
      if (!withUsage) return { seeded, usageSeed: null, tokenId: 0 };
      const { usage } = plan;
      log(`${kind}: ${formatCount(usage.tokens)} tokens × ${usage.days} days of hourly usage buckets, bulk insert…`);
      const usageSeed = await seedUsage(db, { userId: seeded.userId, days: usage.days, now: Date.now() });
      return { seeded, usageSeed, tokenId: await middleTokenId(db, seeded.userId) };
    })().finally(() => db.destroy());
    const { seeded, usageSeed, tokenId } = prepared;
    log(
      `${kind}: server started from apps/api/dist/main.js; GET /api/v1/me vs GET /api/health, ` +
        `${plan.http.pairs} pairs of ${plan.http.seconds} s, ${plan.http.connections} connections…`,
    );
    await withServer(
      databaseUrl,
      kind,
      async (server) => {
        const serverCpuMs = () => processCpuMs(server.pid);
        const http = await compareMeWithHealth(server.url, [seeded.tokens[0]!], { ...plan.http, serverCpuMs });
        log(`${kind}: apiToken.getMany over tRPC, 1,000 tokens, ${plan.list.requests} requests…`);
        const list = await listTokensOverTrpc(server.url, seeded.sessionId, { ...plan.list, expected: 1000 });
        let usage: UsageRun | undefined;
        if (usageSeed) {
          log(
            `${kind}: apiToken.usage over tRPC, ${plan.usage.queryDays} days hourly, ${plan.usage.requests} requests…`,
          );
          const trpc = await usageOverTrpc(server.url, seeded.sessionId, {
            tokenId,
            days: plan.usage.queryDays,
            requests: plan.usage.requests,
            warmup: plan.usage.warmup,
          });
          usage = { seed: usageSeed, trpc, library: await usageInLibrary(databaseUrl, seeded.userId, tokenId) };
        }
        let recording: HttpComparison | undefined;
        if (kind === 'sqlite') {
          const { pairs, seconds } = plan.httpRecording;
          log(
            `${kind}: /api/v1/me on two fresh servers, recording usage and with USAGE_RECORDING=false, ` +
              `${pairs} pairs of ${seconds} s…`,
          );
          // Two servers started for this alone, so that neither carries the heap of the runs above.
          recording = await withServer(databaseUrl, `${kind}-recording`, (recorder) =>
            withServer(
              databaseUrl,
              `${kind}-no-recording`,
              (quiet) =>
                compareLoads(
                  {
                    url: recorder.url,
                    requests: meRequests([seeded.tokens[0]!]),
                    serverCpuMs: () => processCpuMs(recorder.pid),
                  },
                  {
                    url: quiet.url,
                    requests: meRequests([seeded.tokens[0]!]),
                    serverCpuMs: () => processCpuMs(quiet.pid),
                  },
                  plan.httpRecording,
                ),
              { ...env, USAGE_RECORDING: 'false' },
            ),
          );
        }
        results.servers.push({ kind, http, list, usage, recording, peakRss: server.memory()?.peak ?? Number.NaN });
      },
      env,
    );
  }

  /** getApiTokenUsage in this process, on the server's database once the server has stopped. */
  async function usageInLibrary(databaseUrl: string, userId: number, tokenId: number) {
    const db = createDatabase(databaseUrl);
    try {
      const { queryDays, requests, warmup } = plan.usage;
      return await usageQueryInLibrary(db, { userId, tokenId, days: queryDays, requests, warmup });
    } finally {
      await db.destroy();
    }
  }

  async function flushScenario(kind: DatabaseKind, open: () => Promise<Db>) {
    const db = await open();
    try {
      const ids = await db.selectFrom('api_tokens').select('id').orderBy('id').limit(plan.flush.tokens).execute();
      if (ids.length < plan.flush.tokens) throw new Error(`only ${ids.length} tokens to flush`);
      const requests = plan.flush.requestsPerToken.join(' and ');
      log(
        `${kind}: flushing the usage counters of ${formatCount(ids.length)} tokens after ${requests} request(s) each…`,
      );
      const runs = await runFlushBench(
        db,
        ids.map((row) => row.id),
        plan.flush.requestsPerToken,
      );
      results.flush.push({ kind, runs });
    } finally {
      await db.destroy();
    }
  }

  try {
    log(
      `mode ${mode}; node ${process.version}; load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );

    log('building the server and the latchkey command (apps/api/dist/, as `pnpm start` does)…');
    buildServer();

    await scenario('latchkey --help', async () => {
      results.cliStart = await runCliStartBench({ dir, ...plan.cliStart, log });
    });

    await scenario('request check in-process', async () => {
      results.check = await runCheckBench({ dir, ...plan.check, profile, log });
    });

    await scenario('peer: better-auth verifyApiKey', async () => {
      results.peer = await runPeerBetterAuth({ ...plan.peer, log });
    });

    if (plan.httpLarge && results.check) {
      const large = plan.httpLarge;
      const check = results.check;
      await scenario(`HTTP at ${sizeLabel(plan.check.largeTokens)} tokens`, async () => {
        log(
          `sqlite ${sizeLabel(plan.check.largeTokens)} tokens: ` +
            `/api/v1/me over ${formatCount(large.active)} different tokens vs /api/health, ${large.pairs} pairs…`,
        );
        const tokens = (JSON.parse(fs.readFileSync(check.largeSampleFile, 'utf8')) as string[]).slice(0, large.active);
        await withServer(check.largeFile, 'sqlite-large', async (server) => {
          const http = await compareMeWithHealth(server.url, tokens, {
            ...large,
            serverCpuMs: () => processCpuMs(server.pid),
          });
          results.httpLarge = {
            http,
            peakRss: server.memory()?.peak ?? Number.NaN,
            tokens: plan.check.largeTokens,
            active: large.active,
          };
        });
      });
    }

    await scenario('HTTP on SQLite', () => serverScenario('sqlite', path.join(dir, 'server.db')));
    await scenario('forward auth through nginx', async () => {
      if (!proxyBinary('nginx')) {
        results.forwardAuthSkipped = 'nginx is not installed (apt-get install nginx)';
        log(`SKIPPED forward auth: ${results.forwardAuthSkipped}`);
        return;
      }
      const databaseUrl = path.join(dir, 'forward-auth.db');
      const db = createDatabase(databaseUrl);
      const seeded = await seedServerDatabase(db, systemClock, 10).finally(() => db.destroy());
      const { pairs, seconds } = plan.forwardAuth;
      log(
        'sqlite: forward auth through nginx (deploy/nginx) to a trivial upstream vs /api/v1/me directly, ' +
          `${pairs} pairs of ${seconds} s…`,
      );
      // nginx is the one proxy in front of the server: the client address comes from X-Forwarded-For.
      await withServer(
        databaseUrl,
        'forward-auth',
        async (server) => {
          results.forwardAuth = await runForwardAuthBench({
            serverUrl: server.url,
            serverCpuMs: () => processCpuMs(server.pid),
            token: seeded.tokens[0]!,
            load: plan.forwardAuth,
          });
        },
        { TRUST_PROXY: '1' },
      );
    });
    await scenario('introspection', async () => {
      const databaseUrl = path.join(dir, 'introspection.db');
      const db = createDatabase(databaseUrl);
      const { seeded, service } = await (async () => {
        const seeded = await seedServerDatabase(db, systemClock, 10);
        const service = await createServiceClient({ db, clock: systemClock, name: 'bench service' });
        return { seeded, service };
      })().finally(() => db.destroy());
      const { pairs, seconds } = plan.introspection;
      log(`sqlite: POST /api/v1/introspect (a service client) vs GET /api/v1/me, ${pairs} pairs of ${seconds} s…`);
      await withServer(
        databaseUrl,
        'introspection',
        async (server) => {
          const token = seeded.tokens[0]!;
          const basic = Buffer.from(`${service.clientId}:${service.clientSecret}`).toString('base64');
          results.introspection = await compareLoads(
            {
              url: server.url,
              requests: [
                {
                  method: 'POST',
                  path: '/api/v1/introspect',
                  headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
                  body: `token=${token}`,
                },
              ],
              serverCpuMs: () => processCpuMs(server.pid),
            },
            { url: server.url, requests: meRequests([token]), serverCpuMs: () => processCpuMs(server.pid) },
            plan.introspection,
          );
        },
        // The service client's own limit (60,000 a minute by default) is not what is measured.
        { RATE_LIMIT_SERVICE_PER_MINUTE: '1000000000' },
      );
    });
    await scenario('usage flush on SQLite', () =>
      flushScenario('sqlite', async () => {
        const file = path.join(dir, 'flush.db');
        await seedSqlite(file, { tokens: plan.flush.tokens, sample: 0 });
        return createDatabase(file);
      }),
    );

    const unavailable = await postgresUnavailable(postgresAdminUrl);
    let postgresUrl: string | null = null;
    if (unavailable) {
      results.postgresSkipped = `PostgreSQL is not reachable at ${postgresAdminUrl}: ${unavailable}`;
      log(`SKIPPED PostgreSQL: ${results.postgresSkipped}`);
    } else {
      await scenario('HTTP on PostgreSQL', async () => {
        postgresUrl = await postgresDatabase();
        await serverScenario('postgres', postgresUrl);
      });
      await scenario('usage flush on PostgreSQL', () =>
        flushScenario('postgres', async () => {
          const db = createDatabase(await postgresDatabase());
          await seedServerDatabase(db, systemClock, plan.flush.tokens);
          return db;
        }),
      );

      // Every limit counted in Redis (one script call per counted hit), under a prefix of this run's own.
      const redisDown = await redisUnavailable(redisUrl);
      if (redisDown) {
        results.redisSkipped = `Redis is not reachable at ${redisUrl}: ${redisDown}`;
        log(`SKIPPED Redis: ${results.redisSkipped}`);
      } else {
        await scenario('HTTP on PostgreSQL with Redis limits', async () => {
          await serverScenario('postgres+redis', await postgresDatabase(), {
            REDIS_URL: redisUrl,
            REDIS_KEY_PREFIX: `latchkey-bench:${process.pid}:${Date.now()}:`,
          });
        });
      }
    }

    await scenario('createApiToken', async () => {
      results.create = await runCreateBench({ dir, postgresUrl, ...plan.create, log });
    });
  } finally {
    await cleanup();
    process.off('SIGINT', onSigint);
  }
  results.environmentAfter = environment();
  if (profile) results.profiles = profileSummaries(started);
  results.seconds = (performance.now() - started) / 1000;
  return results;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A token from the middle of the user's list, so the usage query is not helped by being first. */
async function middleTokenId(db: Db, userId: number): Promise<number> {
  const row = await db
    .selectFrom('api_tokens')
    .select('id')
    .where('user_id', '=', userId)
    .orderBy('id')
    .offset(500)
    .limit(1)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The CPU profiles this run wrote, summarised; the idle loader threads of tsx are left out. */
function profileSummaries(started: number): string[] {
  if (!fs.existsSync(PROFILE_DIR)) return [];
  const files = fs
    .readdirSync(PROFILE_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(PROFILE_DIR, f))
    .filter((f) => fs.statSync(f).mtimeMs >= Date.now() - (performance.now() - started) - 1000);
  const out: string[] = [];
  for (const file of files) {
    const summary = summarizeProfile(file, 12);
    if (summary.busyPercent < 20) continue;
    out.push(formatProfileSummary(summary));
  }
  return out;
}
