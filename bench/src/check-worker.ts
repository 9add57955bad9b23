// Child process for the in-process benchmarks of the request check (checkApiToken, as the REST
// middleware calls it), so its
// memory is measured apart from the harness. It opens the databases the way the server does
// (createDatabase: the SQLite reader connection with its prepared statement), runs the targets in
// rounds (the order reversed every round), then times the refusal of malformed tokens.
import { hash } from 'node:crypto';
import fs from 'node:fs';
import {
  apiTokenCacheOf,
  createDatabase,
  checkApiToken,
  createLastUsedTracker,
  systemClock,
  tokenChecksum,
  type Db,
  type LastUsedTracker,
} from '@latchkey/lib';
import { residentSet, threadCpuMs } from './memory';
import { countQueries } from './query-counter';
import { latencySummary, median } from './stats';

export type CheckTargetInput = { label: string; file: string; tokens: number; sampleFile: string; active: number };

export type CheckWorkerInput = {
  /** The first target is the baseline the others are compared with. */
  targets: CheckTargetInput[];
  rounds: number;
  secondsPerRun: number;
  warmupSeconds: number;
  malformedSeconds: number;
  /** Fills a fresh database's token cache with this many tokens of the largest target's sample. */
  fullCacheEntries: number;
};

export type CheckRun = { opsPerSecond: number; opsPerCpuSecond: number; p50Ms: number; p99Ms: number; checks: number };

export type CheckTargetOutput = {
  label: string;
  tokens: number;
  active: number;
  runs: CheckRun[];
  median: { opsPerSecond: number; opsPerCpuSecond: number; p50Ms: number; p99Ms: number };
  /** Per round, this target against the baseline: time per check (from ops/s), p50, CPU time per check. */
  ratios: { mean: number[]; p50: number[]; cpu: number[] };
};

export type CheckWorkerOutput = {
  targets: CheckTargetOutput[];
  queriesPerCheck: number;
  /** Tokens first seen (cache misses) over every check of the largest target's database. */
  firstSight: { misses: number; checks: number };
  /** The token cache filled to its bound: entries, and the resident and heap memory it added. */
  fullCache: { entries: number; rssBytes: number; heapBytes: number };
  malformed: {
    opsPerSecond: number;
    opsPerCpuSecond: number;
    p50Ms: number;
    p99Ms: number;
    checks: number;
    queries: number;
    kinds: number;
  };
  /** The machine's speed on one thread, to compare runs on different machines. */
  reference: { sha256PerSecond: number; awaitPerSecond: number };
  peakRssBytes: number;
  /** process.memoryUsage() at the end, for where the memory went. */
  memoryUsage: NodeJS.MemoryUsage;
};

type Opened = { db: Db; lastUsed: LastUsedTracker; checks: number };
type Target = {
  input: CheckTargetInput;
  database: Opened;
  db: Db;
  tokens: string[];
  lastUsed: LastUsedTracker;
  cursor: number;
  runs: CheckRun[];
};

// Room for 1,000,000 timed calls per run (8 MB): plenty for a p99, and little of the measured memory.
const LATENCIES = new Float64Array(1_000_000);

function nextToken(target: Target): string {
  target.database.checks++;
  const token = target.tokens[target.cursor]!;
  target.cursor = target.cursor + 1 === target.tokens.length ? 0 : target.cursor + 1;
  return token;
}

/**
 * Checks the target's tokens in turn for `seconds`: the first half in a tight loop (throughput, no
 * clock read per call), the second half timing every call (latency). Before that, a tenth of
 * `seconds` goes uncounted through the tokens: the target before this one (same process, maybe the
 * same reader connection) has filled the caches with its own pages, which is not a cost of this
 * target's table size.
 */
async function run(target: Target, seconds: number): Promise<CheckRun> {
  const { db, lastUsed } = target;
  const clock = systemClock;
  const warmUntil = performance.now() + seconds * 100;
  while (performance.now() < warmUntil) {
    for (let i = 0; i < 256; i++) await checkApiToken({ db, clock, token: nextToken(target), lastUsed });
  }
  let deadline = performance.now() + (seconds * 1000) / 2;
  let n = 0;
  const cpuStarted = threadCpuMs();
  const started = performance.now();
  let now = started;
  while (now < deadline) {
    // 256 checks between looks at the deadline keep the loop's own cost out of the numbers.
    for (let i = 0; i < 256; i++) {
      const check = await checkApiToken({ db, clock, token: nextToken(target), lastUsed });
      if (!check.ok) throw new Error(`a valid token was refused: ${check.message}`);
    }
    n += 256;
    now = performance.now();
  }
  const cpu = threadCpuMs() - cpuStarted;
  const throughput = { opsPerSecond: n / ((now - started) / 1000), opsPerCpuSecond: n / (cpu / 1000), checks: n };

  deadline = performance.now() + (seconds * 1000) / 2;
  let timed = 0;
  while (performance.now() < deadline && timed < LATENCIES.length - 256) {
    for (let i = 0; i < 256; i++) {
      const token = nextToken(target);
      const t0 = performance.now();
      const check = await checkApiToken({ db, clock, token, lastUsed });
      LATENCIES[timed++] = performance.now() - t0;
      if (!check.ok) throw new Error(`a valid token was refused: ${check.message}`);
    }
  }
  const { p50, p99 } = latencySummary(LATENCIES, timed);
  return { ...throughput, checks: n + timed, p50Ms: p50, p99Ms: p99 };
}

/** Tokens the check must refuse on their shape alone: bad lengths, characters, prefixes and checksums. */
function malformedTokens(valid: string[]): string[] {
  const out: string[] = [];
  for (const token of valid.slice(0, 250)) {
    const random = token.slice(4, 34);
    const checksum = token.slice(34);
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    out.push(`api_${random}${checksum.slice(0, 5)}${flip(checksum[5]!)}`); // wrong checksum
    out.push(`api_${flip(random[0]!)}${random.slice(1)}${checksum}`); // changed random part
    out.push(`api_${random}${tokenChecksum('x'.repeat(30))}`); // another part's checksum
    out.push(token.slice(0, 39)); // too short
    out.push(`${token}A`); // too long
    out.push(`key_${token.slice(4)}`); // wrong prefix
    out.push(`${token.slice(0, 10)}-${token.slice(11)}`); // outside base62
    out.push(`Bearer ${token}`); // a header, not a token
  }
  return out;
}

/** Latency of each refusal, and the statements that reached a driver meanwhile. */
async function timedRefusals(db: Db, tokens: string[], seconds: number) {
  const clock = systemClock;
  const counter = countQueries();
  try {
    const deadline = performance.now() + seconds * 1000;
    let n = 0;
    let cursor = 0;
    while (performance.now() < deadline && n < LATENCIES.length - 256) {
      for (let i = 0; i < 256; i++) {
        const token = tokens[cursor]!;
        cursor = cursor + 1 === tokens.length ? 0 : cursor + 1;
        const t0 = performance.now();
        const check = await checkApiToken({ db, clock, token });
        LATENCIES[n++] = performance.now() - t0;
        if (check.ok || check.message !== 'Invalid token')
          throw new Error(`a malformed token was not refused: ${token}`);
      }
    }
    const { p50, p99 } = latencySummary(LATENCIES, n);
    return { p50Ms: p50, p99Ms: p99, checks: n, queries: counter.count };
  } finally {
    counter.stop();
  }
}

/** Refusals in a tight loop without a clock read per call: the throughput. */
async function refusalThroughput(
  db: Db,
  tokens: string[],
  seconds: number,
): Promise<{ opsPerSecond: number; opsPerCpuSecond: number }> {
  const clock = systemClock;
  const deadline = performance.now() + seconds * 1000;
  const cpuStarted = threadCpuMs();
  const started = performance.now();
  let now = started;
  let n = 0;
  let cursor = 0;
  while (now < deadline) {
    for (let i = 0; i < 1024; i++) {
      const token = tokens[cursor]!;
      cursor = cursor + 1 === tokens.length ? 0 : cursor + 1;
      if (!(await checkApiToken({ db, clock, token })).ok) n++;
    }
    now = performance.now();
  }
  return { opsPerSecond: n / ((now - started) / 1000), opsPerCpuSecond: n / ((threadCpuMs() - cpuStarted) / 1000) };
}

async function reference(seconds: number): Promise<CheckWorkerOutput['reference']> {
  const input = 'api_0123456789abcdefghijABCDEFGHIJ012345';
  let n = 0;
  let started = performance.now();
  while (performance.now() - started < seconds * 500) {
    for (let i = 0; i < 1000; i++) hash('sha256', input, 'hex');
    n += 1000;
  }
  const sha256PerSecond = n / ((performance.now() - started) / 1000);
  const nothing = (x: number) => Promise.resolve(x);
  n = 0;
  started = performance.now();
  while (performance.now() - started < seconds * 500) {
    for (let i = 0; i < 1000; i++) await nothing(i);
    n += 1000;
  }
  return { sha256PerSecond, awaitPerSecond: n / ((performance.now() - started) / 1000) };
}

/** What a token cache filled with `entries` tokens adds to the process, measured after a full GC. */
async function fillCache(target: CheckTargetInput, entries: number): Promise<CheckWorkerOutput['fullCache']> {
  const tokens = (JSON.parse(fs.readFileSync(target.sampleFile, 'utf8')) as string[]).slice(0, entries);
  if (tokens.length < entries) throw new Error(`the sample holds ${tokens.length} tokens, not ${entries}`);
  const db = createDatabase(target.file, { tokenCacheSize: entries });
  const gc = (globalThis as { gc?: () => void }).gc;
  try {
    await checkApiToken({ db, clock: systemClock, token: tokens[0]! });
    gc?.();
    const before = process.memoryUsage();
    for (const token of tokens) await checkApiToken({ db, clock: systemClock, token });
    gc?.();
    const after = process.memoryUsage();
    return {
      entries: apiTokenCacheOf(db)?.size ?? 0,
      rssBytes: after.rss - before.rss,
      heapBytes: after.heapUsed - before.heapUsed,
    };
  } finally {
    await db.destroy();
  }
}

async function main(input: CheckWorkerInput): Promise<CheckWorkerOutput> {
  const opened = new Map<string, Opened>();
  const targets: Target[] = input.targets.map((target) => {
    let database = opened.get(target.file);
    if (!database) {
      const db = createDatabase(target.file);
      // As in the server: uses are kept in memory and written in a batch every 30 s.
      database = { db, lastUsed: createLastUsedTracker({ db, clock: systemClock }), checks: 0 };
      opened.set(target.file, database);
    }
    const tokens = (JSON.parse(fs.readFileSync(target.sampleFile, 'utf8')) as string[]).slice(0, target.active);
    return { input: target, database, db: database.db, lastUsed: database.lastUsed, tokens, cursor: 0, runs: [] };
  });
  try {
    // Warm every target: JIT, the prepared statement, the pages of the active tokens' rows.
    for (const target of targets) await run(target, input.warmupSeconds);

    // Statements per check, counted at the driver over 1,000 checks of the largest target.
    const counted = targets[targets.length - 1]!;
    const counter = countQueries();
    for (let i = 0; i < 1000; i++)
      await checkApiToken({
        db: counted.db,
        clock: systemClock,
        token: nextToken(counted),
        lastUsed: counted.lastUsed,
      });
    const queriesPerCheck = counter.count / 1000;
    counter.stop();

    for (let round = 0; round < input.rounds; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) target.runs.push(await run(target, input.secondsPerRun));
    }

    const base = targets[0]!;
    const outputs: CheckTargetOutput[] = targets.map((target) => ({
      label: target.input.label,
      tokens: target.input.tokens,
      active: target.tokens.length,
      runs: target.runs,
      median: {
        opsPerSecond: median(target.runs.map((r) => r.opsPerSecond)),
        opsPerCpuSecond: median(target.runs.map((r) => r.opsPerCpuSecond)),
        p50Ms: median(target.runs.map((r) => r.p50Ms)),
        p99Ms: median(target.runs.map((r) => r.p99Ms)),
      },
      ratios: {
        mean: target.runs.map((r, i) => base.runs[i]!.opsPerSecond / r.opsPerSecond),
        p50: target.runs.map((r, i) => r.p50Ms / base.runs[i]!.p50Ms),
        cpu: target.runs.map((r, i) => base.runs[i]!.opsPerCpuSecond / r.opsPerCpuSecond),
      },
    }));

    const largest = targets[targets.length - 1]!;
    const firstSight = { misses: apiTokenCacheOf(largest.db)?.size ?? Number.NaN, checks: largest.database.checks };
    const bad = malformedTokens(largest.tokens);
    await refusalThroughput(largest.db, bad, input.warmupSeconds);
    const timed = await timedRefusals(largest.db, bad, input.malformedSeconds / 2);
    const throughput = await refusalThroughput(largest.db, bad, input.malformedSeconds / 2);

    const fullCache = await fillCache(largest.input, input.fullCacheEntries);
    return {
      targets: outputs,
      queriesPerCheck,
      firstSight,
      fullCache,
      malformed: { ...timed, ...throughput, kinds: 8 },
      reference: await reference(Math.min(1, input.secondsPerRun)),
      peakRssBytes: residentSet()?.peak ?? Number.NaN,
      memoryUsage: process.memoryUsage(),
    };
  } finally {
    for (const { db, lastUsed } of opened.values()) {
      await lastUsed.stop();
      await db.destroy();
    }
  }
}

const input = JSON.parse(process.argv[2] ?? '{}') as CheckWorkerInput;
main(input).then(
  (output) => process.send!({ ok: true, output }, () => process.exit(0)),
  (error: unknown) =>
    process.send!({ ok: false, error: (error as Error).stack ?? String(error) }, () => process.exit(1)),
);
