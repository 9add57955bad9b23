// What a run prints and writes: one row per figure (its target and whether it was met), the
// environment line, the per-pair details for BENCHMARKS.md.
import path from 'node:path';
import { sizeLabel } from './check-bench';
import type { SubjectOutput } from './check-worker';
import type { HttpComparison } from './http-bench';
import { writeBenchmarksFile } from './markdown';
import { REPO_ROOT } from './paths';
import {
  ALLOWED_IPS_TARGET,
  CLI_HELP_TARGET_MS,
  FORWARD_AUTH_TARGET,
  INTROSPECTION_TARGET,
  FULL_CACHE_MEMORY_LIMIT,
  HTTP_TARGETS,
  MEMORY_LIMIT,
  PEER_TARGET,
  RECORDING_CHECK_TARGET,
  RECORDING_HTTP_TARGET,
  SERVER_NAMES,
  USAGE_QUERY_TARGET_MS,
  type Mode,
  type Plan,
} from './plan';
import { markdownTable, statusOf, terminalTable, type Row } from './report';
import type { BenchResults, DatabaseKind } from './scenarios';
import { formatBytes, formatLatency, formatNumber, median } from './stats';

const ratio = (x: number) => formatNumber(x, 2);
const rps = (x: number) => `${formatNumber(x)}/s`;
const medianRatio = (values: readonly number[]) => ratio(median(values));
const DATABASE_NAMES: Record<DatabaseKind, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/** "ratio 0.91 (me 1,234/s, health 1,356/s; server CPU-time ratio 0.93)" */
function httpMeasured(http: HttpComparison, a: string, b: string): string {
  const bad = http.badResponses === 0 ? '' : `; ${http.badResponses} bad responses`;
  return (
    `ratio ${ratio(http.ratio)} (${a} ${rps(http.a.requestsPerSecond)}, ${b} ${rps(http.b.requestsPerSecond)}; ` +
    `server CPU-time ratio ${ratio(http.cpuRatio)})${bad}`
  );
}

/** A subject of a paired in-process comparison against the baseline (the first subject). */
function pairedMeasured(base: SubjectOutput, subject: SubjectOutput): string {
  const { mean, p50, cpu } = subject.ratios;
  const processes = subject.processRatios
    ? `; ${subject.processRatios.length} processes: ${subject.processRatios.map((r) => r.toFixed(2)).join(', ')}`
    : '';
  return [
    `time ratio ${medianRatio(mean)} (p50 ratio ${medianRatio(p50)}, CPU ratio ${medianRatio(cpu)}${processes})`,
    `${base.label}: ${rps(base.median.opsPerSecond)}, p50 ${formatLatency(base.median.p50Ms)}`,
    `${subject.label}: ${rps(subject.median.opsPerSecond)}, p50 ${formatLatency(subject.median.p50Ms)}`,
  ].join('; ');
}

export function buildRows(results: BenchResults, plan: Plan): Row[] {
  const rows: Row[] = [];

  if (results.introspection) {
    const http = results.introspection;
    rows.push({
      scenario: 'introspection (RFC 7662, a service client) vs /api/v1/me, requests per second, SQLite',
      measured: httpMeasured(http, 'introspect', 'me'),
      target: `>= ${INTROSPECTION_TARGET.toFixed(2)}`,
      status: http.badResponses === 0 ? statusOf(http.ratio >= INTROSPECTION_TARGET) : 'ERROR',
    });
  }

  for (const server of results.servers) {
    const { http } = server;
    const target = HTTP_TARGETS[server.kind];
    rows.push({
      scenario: `HTTP ${SERVER_NAMES[server.kind]}: /api/v1/me vs /api/health throughput`,
      measured: httpMeasured(http, 'me', 'health'),
      target: `>= ${target.toFixed(2)}`,
      status: http.badResponses === 0 ? statusOf(http.ratio >= target) : 'ERROR',
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
      measured: httpMeasured(http, 'me', 'health'),
      target: 'report',
      status: http.badResponses === 0 ? 'report' : 'ERROR',
    });
  }

  const forwardAuthScenario = 'forward auth through real nginx to a trivial upstream vs /api/v1/me served directly';
  if (results.forwardAuth) {
    const http = results.forwardAuth;
    rows.push({
      scenario: forwardAuthScenario,
      measured: httpMeasured(http, 'through nginx', 'me'),
      target: `>= ${FORWARD_AUTH_TARGET.toFixed(2)}`,
      status: http.badResponses === 0 ? statusOf(http.ratio >= FORWARD_AUTH_TARGET) : 'ERROR',
    });
  } else if (results.forwardAuthSkipped) {
    rows.push({
      scenario: forwardAuthScenario,
      measured: results.forwardAuthSkipped,
      target: `>= ${FORWARD_AUTH_TARGET.toFixed(2)}`,
      status: 'SKIPPED',
    });
  }

  for (const server of results.servers) {
    if (!server.recording) continue;
    const http = server.recording;
    rows.push({
      scenario:
        `usage recording, HTTP ${SERVER_NAMES[server.kind]}: ` +
        '/api/v1/me recording vs a server with USAGE_RECORDING=false',
      measured: httpMeasured(http, 'recording', 'not recording'),
      target: `>= ${RECORDING_HTTP_TARGET.toFixed(2)}`,
      status: http.badResponses === 0 ? statusOf(http.ratio >= RECORDING_HTTP_TARGET) : 'ERROR',
    });
  }

  if (results.check) {
    // A loaded machine slows every row; next to the same run's SHA-256 of one token (the floor of
    // any check), a throughput says how much the check adds, whatever the load.
    const sha = results.check.reference.sha256PerSecond;
    const shaShare = (perSecond: number) => `${ratio(perSecond / sha)}× the SHA-256 reference`;
    const [small, ...larges] = results.check.targets;
    const { firstSight, fullCache } = results.check;
    const latencies = (s: SubjectOutput) =>
      `${s.label}: p50 ${formatLatency(s.median.p50Ms)} p99 ${formatLatency(s.median.p99Ms)}`;
    for (const large of larges) {
      const meanRatio = median(large.ratios.mean);
      const primary = large === larges[0];
      rows.push({
        scenario:
          `cached check in-process ${large.label} vs ${small!.label} tokens ` +
          `(${formatNumber(large.active)} active)`,
        measured: [
          `time ratio ${ratio(meanRatio)} (p50 ratio ${medianRatio(large.ratios.p50)}, ` +
            `CPU ratio ${medianRatio(large.ratios.cpu)})`,
          latencies(small!),
          latencies(large),
        ].join('; '),
        target: primary ? '<= 1.10' : 'report',
        status: primary ? statusOf(meanRatio <= 1.1) : 'report',
      });
      if (primary) {
        rows.push({
          scenario: `cached check in-process throughput at ${large.label} tokens, one thread`,
          measured:
            `${rps(large.median.opsPerSecond)} (${formatNumber(large.median.opsPerCpuSecond)} per CPU-second; ` +
            `${shaShare(large.median.opsPerSecond)}; ${small!.label}: ${rps(small!.median.opsPerSecond)}); ` +
            `first sight (miss) ${formatNumber(firstSight.misses)} of ${formatNumber(firstSight.checks)} checks ` +
            `(${((100 * firstSight.misses) / firstSight.checks).toFixed(3)}%)`,
          target: '>= 500,000/s',
          status: statusOf(large.median.opsPerSecond >= 500_000),
        });
      }
    }

    if (results.peer) {
      const peer = results.peer;
      const times = small!.median.opsPerSecond / peer.verifiesPerSecond;
      rows.push({
        scenario:
          `cached check vs better-auth ${peer.versions['better-auth'] ?? ''} verifyApiKey ` +
          `(${formatNumber(peer.keys)} hot keys, SQLite, one thread)`,
        measured:
          `${formatNumber(times)}× (ours ${rps(small!.median.opsPerSecond)}, ` +
          `its ${rps(peer.verifiesPerSecond)}, p50 ${formatLatency(peer.p50Ms)})`,
        target: `>= ${PEER_TARGET}×`,
        status: statusOf(times >= PEER_TARGET),
      });
    }

    const [without, withRecording] = results.check.recording;
    if (without && withRecording) {
      const r = median(withRecording.ratios.mean);
      rows.push({
        scenario:
          `usage recording, cached check in-process (${formatNumber(small!.active)} tokens): ` +
          'with vs without a tracker',
        measured: pairedMeasured(without, withRecording),
        target: `<= ${RECORDING_CHECK_TARGET.toFixed(2)}`,
        status: statusOf(r <= RECORDING_CHECK_TARGET),
      });
    }

    const [unlimited, ...limited] = results.check.allowedIps;
    limited.forEach((subject, i) => {
      // The last subject cycles through more client addresses than a matcher remembers: reported.
      const judged = i < limited.length - 1;
      const r = median(subject.ratios.mean);
      rows.push({
        scenario: `address limit, cached check + address test in-process: ${subject.label} vs ${unlimited!.label}`,
        measured: pairedMeasured(unlimited!, subject),
        target: judged ? `<= ${ALLOWED_IPS_TARGET.toFixed(2)}` : 'report',
        status: judged ? statusOf(r <= ALLOWED_IPS_TARGET) : 'report',
      });
    });

    const bad = results.check.malformed;
    rows.push({
      scenario: 'refusing malformed / wrong-checksum tokens',
      measured:
        `${rps(bad.opsPerSecond)} (${formatNumber(bad.opsPerCpuSecond)} per CPU-second; ` +
        `${shaShare(bad.opsPerSecond)}; p50 ${formatLatency(bad.p50Ms)}); ` +
        `${bad.queries} queries in ${formatNumber(bad.checks)} refusals`,
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
      measured:
        `${formatBytes(fullCache.rssBytes)} RSS, ${formatBytes(fullCache.heapBytes)} heap ` +
        `for ${formatNumber(fullCache.entries)} entries ` +
        `(${formatNumber(fullCache.heapBytes / fullCache.entries)} B each)`,
      target: 'report',
      status: 'report',
    });
  }

  for (const flush of results.flush) {
    const statements = new Set(flush.runs.map((run) => run.statements));
    const written = flush.runs.every((run) => run.rowsAfter >= run.tokens);
    const tokens = formatNumber(flush.runs[0]?.tokens ?? 0);
    const each = (run: (typeof flush.runs)[number]) => formatNumber(run.requests / run.tokens);
    rows.push({
      scenario: `usage flush of ${tokens} active tokens' counters, ${DATABASE_NAMES[flush.kind]}`,
      measured: flush.runs
        .map((run) => `${each(run)} request(s) each: ${formatLatency(run.ms)}, ${run.statements} statements`)
        .join('; '),
      target: 'report; statements independent of requests',
      status: statements.size === 1 && written ? 'report' : 'MISSED',
    });
  }

  for (const create of results.create ?? []) {
    const q = create.queriesPerCreate;
    rows.push({
      scenario: `createApiToken on ${create.kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
      measured:
        `${rps(create.tokensPerSecond)}; statements per create: ${q.personalFirst} (first), ` +
        `${q.personalLater} (after ${formatNumber(create.tokensInTable)} tokens), ${q.team} (team token)`,
      // No N+1: the same statements whatever the table holds (the token, its audit event in the
      // same transaction, and the checks of the owner and the policy).
      target: 'report; no N+1 (the same count at any table size)',
      status: q.personalFirst === q.personalLater ? 'report' : 'MISSED',
    });
  }

  for (const server of results.servers) {
    const name = SERVER_NAMES[server.kind];
    rows.push({
      scenario: `tRPC apiToken.getMany, 1,000 tokens, ${name}`,
      measured:
        `p50 ${formatLatency(server.list.p50Ms)}, p99 ${formatLatency(server.list.p99Ms)} ` +
        `(${formatNumber(server.list.bytes / 1024)} KiB)`,
      target: 'p50 <= 20 ms',
      status: statusOf(server.list.p50Ms <= 20),
    });
  }

  const { usage } = plan;
  for (const server of results.servers) {
    if (!server.usage) continue;
    const name = SERVER_NAMES[server.kind];
    const { trpc, library, seed } = server.usage;
    const where =
      `${usage.queryDays} days hourly (${trpc.buckets} buckets), ` +
      `${formatNumber(usage.tokens)} tokens × ${usage.days} days in the table ` +
      `(${formatNumber(seed.rows)} rows), ${name}`;
    rows.push({
      scenario: `tRPC apiToken.usage, ${where}`,
      measured: `p50 ${formatLatency(trpc.p50Ms)}, p99 ${formatLatency(trpc.p99Ms)}`,
      target: `p50 <= ${USAGE_QUERY_TARGET_MS} ms`,
      status: statusOf(trpc.p50Ms <= USAGE_QUERY_TARGET_MS),
    });
    rows.push({
      scenario: `getApiTokenUsage in-process, ${where}`,
      measured: `p50 ${formatLatency(library.p50Ms)}, p99 ${formatLatency(library.p99Ms)}`,
      target: `p50 <= ${USAGE_QUERY_TARGET_MS} ms`,
      status: statusOf(library.p50Ms <= USAGE_QUERY_TARGET_MS),
    });
  }

  if (results.cliStart) {
    const { helpMs, nodeMs, runs } = results.cliStart;
    rows.push({
      scenario: '`latchkey --help` wall time, installed, vs `node -e 0`',
      measured:
        `median ${formatLatency(helpMs)} vs ${formatLatency(nodeMs)} ` +
        `(+${formatLatency(helpMs - nodeMs)}, ratio ${ratio(helpMs / nodeMs)}; ${runs} pairs)`,
      target: `<= ${CLI_HELP_TARGET_MS} ms`,
      status: statusOf(helpMs <= CLI_HELP_TARGET_MS),
    });
  }

  const memoryRows: Array<[string, number]> = results.servers.map((s) => [
    `server on ${SERVER_NAMES[s.kind]} (HTTP + tRPC runs)`,
    s.peakRss,
  ]);
  if (results.httpLarge)
    memoryRows.push([
      `server on SQLite with ${sizeLabel(results.httpLarge.tokens)} tokens (HTTP run)`,
      results.httpLarge.peakRss,
    ]);
  for (const [what, peak] of memoryRows) {
    rows.push({
      scenario: `peak RSS: ${what}`,
      measured: formatBytes(peak),
      target: '<= 250 MB',
      status: statusOf(peak <= MEMORY_LIMIT),
    });
  }
  if (results.check) {
    const peak = results.check.fullCache.peakRssBytes;
    rows.push({
      scenario:
        `peak RSS: a process holding a full token cache (${formatNumber(plan.check.fullCacheEntries)} entries, ` +
        `${sizeLabel(plan.check.largeTokens)} tokens in the database)`,
      measured: formatBytes(peak),
      target: '<= 300 MB',
      status: statusOf(peak <= FULL_CACHE_MEMORY_LIMIT),
    });
    rows.push({
      scenario: `peak RSS: the in-process check worker (all targets, ${sizeLabel(plan.check.largeTokens)} tokens)`,
      measured: formatBytes(results.check.peakRssBytes),
      target: 'report',
      status: 'report',
    });
  }
  for (const error of results.errors)
    rows.push({
      scenario: error.split(':')[0]!,
      measured: 'the benchmark failed (see the log above)',
      target: '',
      status: 'ERROR',
    });
  return rows;
}

/** Per-pair and per-run numbers, so a reader can see the spread behind each median. */
export function details(results: BenchResults, plan: Plan): string {
  const out: string[] = [];
  type Side = HttpComparison['pairs'][number]['a'];
  const side = (name: string, s: Side) =>
    `${name} ${rps(s.requestsPerSecond)} ` +
    `(p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, ${formatNumber(s.cpuUsPerRequest)} µs CPU/request)`;
  const pairLines = (http: HttpComparison, a: string, b: string) =>
    http.pairs.map((p, i) => `  - pair ${i + 1}: ${side(a, p.a)}, ${side(b, p.b)}, ratio ${ratio(p.ratio)}`);
  for (const server of results.servers) {
    out.push(
      `- HTTP on ${server.kind}, ${plan.http.connections} connections, ${plan.http.seconds} s per run:`,
      ...pairLines(server.http, 'me', 'health'),
    );
    if (server.recording)
      out.push(
        `- HTTP on ${server.kind}, /me recording usage vs not, ${plan.httpRecording.seconds} s per run:`,
        ...pairLines(server.recording, 'recording', 'not recording'),
      );
    if (server.usage)
      out.push(
        `- ${server.kind}: usage seeded with ${formatNumber(server.usage.seed.rows)} rows ` +
          `in ${server.usage.seed.seconds.toFixed(1)} s`,
      );
  }
  if (results.httpLarge)
    out.push(
      `- HTTP on SQLite at ${sizeLabel(results.httpLarge.tokens)} tokens, ${results.httpLarge.active} tokens in turn:`,
      ...pairLines(results.httpLarge.http, 'me', 'health'),
    );
  if (results.forwardAuth)
    out.push(
      `- Forward auth through nginx vs /api/v1/me, SQLite, ${plan.forwardAuth.seconds} s per run:`,
      ...pairLines(results.forwardAuth, 'through nginx', 'me'),
    );
  if (results.introspection)
    out.push(
      `- Introspection vs /api/v1/me, SQLite, ${plan.introspection.seconds} s per run:`,
      ...pairLines(results.introspection, 'introspect', 'me'),
    );
  if (results.check) {
    const runs = (subject: SubjectOutput) =>
      subject.runs
        .map((r) => `${formatNumber(r.opsPerSecond)}/s (p50 ${formatLatency(r.p50Ms)}, p99 ${formatLatency(r.p99Ms)})`)
        .join('; ');
    out.push(
      `- In-process check, ${plan.check.secondsPerRun} s per run (seeding: ` +
        `${results.check.seedSeconds.large.toFixed(1)} s for ${formatNumber(plan.check.largeTokens)} tokens):`,
    );
    for (const target of results.check.targets)
      out.push(`  - ${target.label}, ${formatNumber(target.active)} active: ${runs(target)}`);
    out.push(
      `- Paired in-process comparisons, ${plan.check.pairedProcesses} processes of ${plan.check.pairedRounds} ` +
        `rounds, ${plan.check.pairedSecondsPerRun} s per run (the runs of every process in turn):`,
    );
    for (const subject of [...results.check.recording, ...results.check.allowedIps])
      out.push(`  - ${subject.label}: ${runs(subject)}`);
    const ref = results.check.reference;
    out.push(
      `- Machine reference, one thread: ${formatNumber(ref.sha256PerSecond)} SHA-256 of a token per second; ` +
        `${formatNumber(ref.awaitPerSecond)} awaits of an async function per second.`,
    );
  }
  for (const flush of results.flush) {
    const runs = flush.runs.map(
      (r) =>
        `${formatNumber(r.requests)} requests of ${formatNumber(r.tokens)} tokens in ${formatLatency(r.ms)} ` +
        `(${r.statements} statements; ${formatNumber(r.rowsAfter)} rows for this hour after it)`,
    );
    out.push(`- usage flush on ${flush.kind}: ${runs.join('; ')}`);
  }
  for (const create of results.create ?? []) {
    const runs = create.runs.map((r) => `${formatNumber(r)}/s`).join(', ');
    const statements = create.statements.map((s) => `\`${s.replace(/\s+/g, ' ').slice(0, 90)}\``).join(', ');
    out.push(`- createApiToken on ${create.kind}: ${runs}; statements of a team-token create: ${statements}`);
  }
  return out.join('\n');
}

/** Prints the table and the environment, writes BENCHMARKS.md when asked; gives the exit code. */
export function report(results: BenchResults, plan: Plan, { mode, write }: { mode: Mode; write: boolean }): number {
  const rows = buildRows(results, plan);
  const env = results.environmentBefore;
  const after = results.environmentAfter ?? env;
  const envLine = [
    `node ${env.node}`,
    `${env.cpu}, ${env.cores} cores, ${env.memoryGb} GB`,
    `load average before ${env.loadAverage.join(' ')}, after ${after.loadAverage.join(' ')}`,
    `CPU pressure (10 s / 60 s) before ${env.cpuPressure ?? 'n/a'}, after ${after.cpuPressure ?? 'n/a'}`,
  ].join('; ');

  console.log('');
  console.log(terminalTable(rows));
  console.log('');
  console.log(envLine);
  if (results.check) {
    const ref = results.check.reference;
    console.log(
      `machine reference (one thread): ${formatNumber(ref.sha256PerSecond)} SHA-256 of a token/s, ` +
        `${formatNumber(ref.awaitPerSecond)} awaits of an async function/s`,
    );
  }
  for (const summary of results.profiles) console.log(`\n${summary}`);
  const missed = rows.filter((r) => r.status === 'MISSED');
  const targets = missed.length
    ? `${missed.length} target(s) MISSED: ${missed.map((r) => r.scenario).join('; ')}`
    : 'every target met';
  const failed = results.errors.length ? `; ${results.errors.length} benchmark(s) FAILED` : '';
  console.log(`\n${mode} run took ${results.seconds.toFixed(1)} s; ${targets}${failed}`);

  if (write) {
    const file = writeBenchmarksFile({
      mode,
      table: markdownTable(rows),
      details: details(results, plan),
      envLine,
      seconds: results.seconds,
      date: new Date(),
    });
    console.log(`results written to ${path.relative(REPO_ROOT, file)}`);
  }
  return results.errors.length ? 1 : 0;
}
