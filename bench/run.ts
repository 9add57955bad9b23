// `pnpm bench [--quick] [--profile] [--no-write]`: measures what checking a token costs, prints a
// table, and writes the results with the method to BENCHMARKS.md. A missed target is printed as
// MISSED and the run still exits 0; only a benchmark that could not run exits 1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, systemClock } from '@latchkey/lib';
import { runCheckBench, sizeLabel, type CheckBenchResult } from './src/check-bench';
import { runCreateBench, type CreateResult } from './src/create-bench';
import { environment, type Environment } from './src/environment';
import { compareMeWithHealth, type HttpComparison } from './src/http-bench';
import { processCpuMs } from './src/memory';
import { writeBenchmarksFile } from './src/markdown';
import { PROFILE_DIR, REPO_ROOT } from './src/paths';
import { formatProfileSummary, summarizeProfile } from './src/profile-summary';
import { markdownTable, statusOf, terminalTable, type Row } from './src/report';
import { createPostgresDatabase, postgresUnavailable, redisUnavailable, seedServerDatabase } from './src/seed';
import { startServer, type ServerProcess } from './src/server-process';
import { formatBytes, formatLatency, formatNumber, median } from './src/stats';
import { listTokensOverTrpc, type ListResult } from './src/trpc-list-bench';

const args = new Set(process.argv.slice(2));
for (const arg of args) {
  if (!['--quick', '--full', '--profile', '--no-write', '--help'].includes(arg)) {
    console.error(`unknown option ${arg}; use --quick, --profile, --no-write`);
    process.exit(2);
  }
}
if (args.has('--help')) {
  console.log(
    'pnpm bench [--quick] [--profile] [--no-write]\n  --quick     under a minute, smaller sizes (100k tokens instead of 1M)\n  --profile   run the servers and the check worker with --cpu-prof and summarise the profiles\n  --no-write  do not touch BENCHMARKS.md',
  );
  process.exit(0);
}

const quick = args.has('--quick');
const profile = args.has('--profile');
const mode = quick ? 'quick' : 'full';
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MEMORY_LIMIT = 250 * 1024 * 1024;
const FULL_CACHE_MEMORY_LIMIT = 300 * 1024 * 1024;

const plan = quick
  ? {
      http: { pairs: 5, seconds: 1, warmupSeconds: 0.75, connections: 10 },
      check: {
        smallTokens: 1000,
        largeTokens: 100_000,
        active: [1000],
        rounds: 3,
        secondsPerRun: 0.5,
        warmupSeconds: 0.3,
        malformedSeconds: 0.8,
        fullCacheEntries: 100_000,
      },
      create: { pairs: 2, secondsPerRun: 0.4 },
      list: { requests: 40, warmup: 5 },
      httpLarge: null,
    }
  : {
      http: { pairs: 15, seconds: 3, warmupSeconds: 3, connections: 10 },
      check: {
        smallTokens: 1000,
        largeTokens: 1_000_000,
        active: [1000, 10_000],
        rounds: 7,
        secondsPerRun: 2,
        warmupSeconds: 1,
        malformedSeconds: 4,
        fullCacheEntries: 100_000,
      },
      create: { pairs: 5, secondsPerRun: 2 },
      list: { requests: 300, warmup: 20 },
      httpLarge: { pairs: 8, seconds: 3, warmupSeconds: 3, connections: 10, active: 1000 },
    };

const started = performance.now();
const log = (line: string) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);

type ServerKind = 'sqlite' | 'postgres' | 'postgres+redis';
type ServerRun = { kind: ServerKind; http: HttpComparison; list: ListResult; peakRss: number };

const SERVER_NAMES: Record<ServerKind, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  'postgres+redis': 'PostgreSQL with Redis limits',
};
const HTTP_TARGETS: Record<ServerKind, number> = { sqlite: 0.9, postgres: 0.8, 'postgres+redis': 0.88 };

const results: {
  environmentBefore: Environment;
  environmentAfter?: Environment;
  check?: CheckBenchResult;
  httpLarge?: { http: HttpComparison; peakRss: number; tokens: number; active: number };
  servers: ServerRun[];
  create?: CreateResult[];
  postgresSkipped?: string;
  redisSkipped?: string;
  errors: string[];
  profiles: string[];
} = { environmentBefore: environment(), servers: [], errors: [], profiles: [] };

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
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

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
  try {
    await body();
  } catch (error) {
    const message = `${name}: ${(error as Error).stack ?? String(error)}`;
    results.errors.push(message);
    log(`ERROR in ${message}`);
  }
}

async function serverScenario(kind: ServerKind, databaseUrl: string, env: Record<string, string> = {}) {
  const db = createDatabase(databaseUrl);
  const seeded = await seedServerDatabase(db, systemClock, 1000).finally(() => db.destroy());
  log(
    `${kind}: server started from apps/api/src/main.ts; GET /api/v1/me vs GET /api/health, ${plan.http.pairs} pairs of ${plan.http.seconds} s, ${plan.http.connections} connections…`,
  );
  await withServer(
    databaseUrl,
    kind,
    async (server) => {
      const http = await compareMeWithHealth(server.url, [seeded.tokens[0]!], {
        ...plan.http,
        serverCpuMs: () => processCpuMs(server.pid),
      });
      log(`${kind}: apiToken.getMany over tRPC, 1,000 tokens, ${plan.list.requests} requests…`);
      const list = await listTokensOverTrpc(server.url, seeded.sessionId, { ...plan.list, expected: 1000 });
      results.servers.push({ kind, http, list, peakRss: server.memory()?.peak ?? Number.NaN });
    },
    env,
  );
}

try {
  log(
    `mode ${mode}; node ${process.version}; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );

  await scenario('request check in-process', async () => {
    results.check = await runCheckBench({ dir, ...plan.check, profile, log });
  });

  if (plan.httpLarge && results.check) {
    const large = plan.httpLarge;
    const check = results.check;
    await scenario(`HTTP at ${sizeLabel(plan.check.largeTokens)} tokens`, async () => {
      log(
        `sqlite ${sizeLabel(plan.check.largeTokens)} tokens: /api/v1/me over ${large.active.toLocaleString('en-US')} different tokens vs /api/health, ${large.pairs} pairs…`,
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

  const unavailable = await postgresUnavailable(POSTGRES_ADMIN_URL);
  let postgresUrl: string | null = null;
  if (unavailable) {
    results.postgresSkipped = `PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL}: ${unavailable}`;
    log(`SKIPPED PostgreSQL: ${results.postgresSkipped}`);
  } else {
    await scenario('HTTP on PostgreSQL', async () => {
      const database = await createPostgresDatabase(POSTGRES_ADMIN_URL);
      cleanups.push(() => database.drop());
      postgresUrl = database.url;
      await serverScenario('postgres', database.url);
    });

    // Every limit counted in Redis (one script call per counted hit), under a prefix of this run's own.
    const redisDown = await redisUnavailable(REDIS_URL);
    if (redisDown) {
      results.redisSkipped = `Redis is not reachable at ${REDIS_URL}: ${redisDown}`;
      log(`SKIPPED Redis: ${results.redisSkipped}`);
    } else {
      await scenario('HTTP on PostgreSQL with Redis limits', async () => {
        const database = await createPostgresDatabase(POSTGRES_ADMIN_URL);
        cleanups.push(() => database.drop());
        await serverScenario('postgres+redis', database.url, {
          REDIS_URL,
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
}
results.environmentAfter = environment();

if (profile && fs.existsSync(PROFILE_DIR)) {
  const files = fs
    .readdirSync(PROFILE_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(PROFILE_DIR, f))
    .filter((f) => fs.statSync(f).mtimeMs >= Date.now() - (performance.now() - started) - 1000);
  for (const file of files) {
    const summary = summarizeProfile(file, 12);
    // The loader thread of tsx is idle once the modules are in; show the threads that worked.
    if (summary.busyPercent < 20) continue;
    results.profiles.push(formatProfileSummary(summary));
  }
}

// ---------------------------------------------------------------------------------------------
const rows: Row[] = [];
const ratio = (x: number) => formatNumber(x, 2);
const rps = (x: number) => `${formatNumber(x)}/s`;

for (const server of results.servers) {
  const { http } = server;
  const name = SERVER_NAMES[server.kind];
  const target = HTTP_TARGETS[server.kind];
  const valid = http.badResponses === 0;
  rows.push({
    scenario: `HTTP ${name}: /api/v1/me vs /api/health throughput`,
    measured: `ratio ${ratio(http.ratio)} (me ${rps(http.me.requestsPerSecond)}, health ${rps(http.health.requestsPerSecond)}; server CPU-time ratio ${ratio(http.cpuRatio)})${valid ? '' : `; ${http.badResponses} bad responses`}`,
    target: `>= ${target.toFixed(2)}`,
    status: valid ? statusOf(http.ratio >= target) : 'ERROR',
  });
}
if (results.postgresSkipped)
  rows.push({ scenario: 'HTTP PostgreSQL', measured: results.postgresSkipped, target: '>= 0.80', status: 'SKIPPED' });
if (results.redisSkipped)
  rows.push({
    scenario: 'HTTP PostgreSQL with Redis limits',
    measured: results.redisSkipped,
    target: '>= 0.88',
    status: 'SKIPPED',
  });
if (results.httpLarge) {
  const { http, tokens, active } = results.httpLarge;
  rows.push({
    scenario: `HTTP SQLite at ${sizeLabel(tokens)} tokens (${formatNumber(active)} tokens in turn): me vs health`,
    measured: `ratio ${ratio(http.ratio)} (me ${rps(http.me.requestsPerSecond)}, health ${rps(http.health.requestsPerSecond)}; server CPU-time ratio ${ratio(http.cpuRatio)})`,
    target: 'report',
    status: http.badResponses === 0 ? 'report' : 'ERROR',
  });
}

if (results.check) {
  const [small, ...larges] = results.check.targets;
  const { firstSight, fullCache } = results.check;
  for (const large of larges) {
    const meanRatio = median(large.ratios.mean);
    const primary = large === larges[0];
    rows.push({
      scenario: `cached check in-process ${large.label} vs ${small!.label} tokens (${formatNumber(large.active)} active)`,
      measured: `time ratio ${ratio(meanRatio)} (p50 ratio ${ratio(median(large.ratios.p50))}, CPU ratio ${ratio(median(large.ratios.cpu))}); ${small!.label}: p50 ${formatLatency(small!.median.p50Ms)} p99 ${formatLatency(small!.median.p99Ms)}; ${large.label}: p50 ${formatLatency(large.median.p50Ms)} p99 ${formatLatency(large.median.p99Ms)}`,
      target: primary ? '<= 1.10' : 'report',
      status: primary ? statusOf(meanRatio <= 1.1) : 'report',
    });
    if (primary) {
      rows.push({
        scenario: `cached check in-process throughput at ${large.label} tokens, one thread`,
        measured: `${rps(large.median.opsPerSecond)} (${formatNumber(large.median.opsPerCpuSecond)} per CPU-second; ${small!.label}: ${rps(small!.median.opsPerSecond)}); first sight (miss) ${formatNumber(firstSight.misses)} of ${formatNumber(firstSight.checks)} checks (${((100 * firstSight.misses) / firstSight.checks).toFixed(3)}%)`,
        target: '>= 500,000/s',
        status: statusOf(large.median.opsPerSecond >= 500_000),
      });
    }
  }
  const bad = results.check.malformed;
  rows.push({
    scenario: 'refusing malformed / wrong-checksum tokens',
    measured: `${rps(bad.opsPerSecond)} (${formatNumber(bad.opsPerCpuSecond)} per CPU-second; p50 ${formatLatency(bad.p50Ms)}); ${bad.queries} queries in ${formatNumber(bad.checks)} refusals`,
    target: '>= 1,000,000/s, 0 queries',
    status: statusOf(bad.opsPerSecond >= 1_000_000 && bad.queries === 0),
  });
  rows.push({
    scenario: 'statements per valid check (cached)',
    measured: formatNumber(results.check.queriesPerCheck, 2),
    target: 'report (0 expected)',
    status: 'report',
  });
  rows.push({
    scenario: `resident memory of a full token cache`,
    measured: `${formatBytes(fullCache.rssBytes)} RSS, ${formatBytes(fullCache.heapBytes)} heap for ${formatNumber(fullCache.entries)} entries (${formatNumber(fullCache.heapBytes / fullCache.entries)} B each)`,
    target: 'report',
    status: 'report',
  });
}

for (const create of results.create ?? []) {
  const q = create.queriesPerCreate;
  rows.push({
    scenario: `createApiToken on ${create.kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
    measured: `${rps(create.tokensPerSecond)}; statements per create: ${q.personalFirst} (first), ${q.personalLater} (after ${formatNumber(create.tokensInTable)} tokens), ${q.team} (team token)`,
    target: 'report; no N+1',
    status: q.personalFirst === q.personalLater && q.personalFirst <= 3 && q.team <= 4 ? 'report' : 'MISSED',
  });
}

for (const server of results.servers) {
  const name = SERVER_NAMES[server.kind];
  rows.push({
    scenario: `tRPC apiToken.getMany, 1,000 tokens, ${name}`,
    measured: `p50 ${formatLatency(server.list.p50Ms)}, p99 ${formatLatency(server.list.p99Ms)} (${formatNumber(server.list.bytes / 1024)} KiB)`,
    target: 'p50 <= 20 ms',
    status: statusOf(server.list.p50Ms <= 20),
  });
}

const memoryRows: Array<[string, number]> = [
  ...results.servers.map((s): [string, number] => [`server on ${SERVER_NAMES[s.kind]} (HTTP + tRPC runs)`, s.peakRss]),
  ...(results.httpLarge
    ? [
        [
          `server on SQLite with ${sizeLabel(results.httpLarge.tokens)} tokens (HTTP run)`,
          results.httpLarge.peakRss,
        ] as [string, number],
      ]
    : []),
];
for (const [what, peak] of memoryRows) {
  rows.push({
    scenario: `peak RSS: ${what}`,
    measured: formatBytes(peak),
    target: '<= 250 MB',
    status: statusOf(peak <= MEMORY_LIMIT),
  });
}
if (results.check) {
  const peak = results.check.peakRssBytes;
  rows.push({
    scenario: `peak RSS: in-process checks at ${sizeLabel(plan.check.largeTokens)} tokens, full cache (${formatNumber(plan.check.fullCacheEntries)})`,
    measured: formatBytes(peak),
    target: '<= 300 MB',
    status: statusOf(peak <= FULL_CACHE_MEMORY_LIMIT),
  });
}
for (const error of results.errors)
  rows.push({
    scenario: error.split(':')[0]!,
    measured: 'the benchmark failed (see the log above)',
    target: '',
    status: 'ERROR',
  });

// ---------------------------------------------------------------------------------------------
const seconds = (performance.now() - started) / 1000;
const env = results.environmentBefore;
const envLine = `node ${env.node}; ${env.cpu}, ${env.cores} cores, ${env.memoryGb} GB; load average before ${env.loadAverage.join(' ')}, after ${results.environmentAfter.loadAverage.join(' ')}; CPU pressure (10 s / 60 s) before ${env.cpuPressure ?? 'n/a'}, after ${results.environmentAfter.cpuPressure ?? 'n/a'}`;

console.log('');
console.log(terminalTable(rows));
console.log('');
console.log(envLine);
if (results.check) {
  const ref = results.check.reference;
  console.log(
    `machine reference (one thread): ${formatNumber(ref.sha256PerSecond)} SHA-256 of a token/s, ${formatNumber(ref.awaitPerSecond)} awaits of an async function/s`,
  );
}
for (const summary of results.profiles) console.log(`\n${summary}`);
const missed = rows.filter((r) => r.status === 'MISSED');
console.log(
  `\n${mode} run took ${seconds.toFixed(1)} s; ${missed.length ? `${missed.length} target(s) MISSED: ${missed.map((r) => r.scenario).join('; ')}` : 'every target met'}${results.errors.length ? `; ${results.errors.length} benchmark(s) FAILED` : ''}`,
);

if (!args.has('--no-write')) {
  const file = writeBenchmarksFile({
    mode,
    table: markdownTable(rows),
    details: details(),
    envLine,
    seconds,
    date: new Date(),
  });
  console.log(`results written to ${path.relative(REPO_ROOT, file)}`);
}
process.exit(results.errors.length ? 1 : 0);

/** Per-pair numbers, so a reader can see the spread behind each median. */
function details(): string {
  const out: string[] = [];
  const pairLines = (http: HttpComparison) =>
    http.pairs.map(
      (p, i) =>
        `  - pair ${i + 1}: me ${rps(p.me.requestsPerSecond)} (p50 ${p.me.p50Ms} ms, p99 ${p.me.p99Ms} ms, ${formatNumber(p.me.cpuUsPerRequest)} µs CPU/request), health ${rps(p.health.requestsPerSecond)} (p50 ${p.health.p50Ms} ms, p99 ${p.health.p99Ms} ms, ${formatNumber(p.health.cpuUsPerRequest)} µs CPU/request), ratio ${ratio(p.ratio)}`,
    );
  for (const server of results.servers) {
    out.push(
      `- HTTP on ${server.kind}, ${plan.http.connections} connections, ${plan.http.seconds} s per run:`,
      ...pairLines(server.http),
    );
  }
  if (results.httpLarge)
    out.push(
      `- HTTP on SQLite at ${sizeLabel(results.httpLarge.tokens)} tokens, ${results.httpLarge.active} tokens in turn:`,
      ...pairLines(results.httpLarge.http),
    );
  if (results.check) {
    out.push(
      `- In-process check, ${plan.check.secondsPerRun} s per run (seeding: ${results.check.seedSeconds.large.toFixed(1)} s for ${formatNumber(plan.check.largeTokens)} tokens):`,
    );
    for (const target of results.check.targets) {
      out.push(
        `  - ${target.label}, ${formatNumber(target.active)} active: ${target.runs.map((r) => `${formatNumber(r.opsPerSecond)}/s (p50 ${formatLatency(r.p50Ms)}, p99 ${formatLatency(r.p99Ms)})`).join('; ')}`,
      );
    }
    const ref = results.check.reference;
    out.push(
      `- Machine reference, one thread: ${formatNumber(ref.sha256PerSecond)} SHA-256 of a token per second; ${formatNumber(ref.awaitPerSecond)} awaits of an async function per second.`,
    );
  }
  for (const create of results.create ?? []) {
    out.push(
      `- createApiToken on ${create.kind}: ${create.runs.map((r) => `${formatNumber(r)}/s`).join(', ')}; statements of a team-token create: ${create.statements.map((s) => `\`${s.replace(/\s+/g, ' ').slice(0, 90)}\``).join(', ')}`,
    );
  }
  return out.join('\n');
}
