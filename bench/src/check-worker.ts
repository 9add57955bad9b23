// Child process for the in-process benchmarks of the request check (the runtime's verifier, with
// its cache and usage recorder, without the rate limits, which the HTTP rows measure), so its
// memory is measured apart from the harness. It opens the databases the way the server does
// (createDatabase and createLatchkey: the SQLite reader connection with its prepared statement,
// the runtime's token cache), runs the targets in rounds (the order reversed every round), then times the refusal
// of malformed tokens. Started with `mode: 'paired'`, it runs only the paired comparisons (the
// check with and without usage recording, with and without an address limit); with
// `mode: 'full-cache'`, it fills one token cache to its bound.
import { hash } from 'node:crypto';
import fs from 'node:fs';
import {
  createDatabase,
  createLatchkey,
  createVerifier,
  systemClock,
  tokenChecksum,
  type Db,
  type Latchkey,
  type Verifier,
} from '@latchkey/lib';
import { residentSet, threadCpuMs } from './memory';
import { countQueries } from './query-counter';
import { latencySummary, median } from './stats';

export type CheckTargetInput = { label: string; file: string; tokens: number; sampleFile: string; active: number };

/** A database with tokens that have no address limit and tokens limited to `ranges`. */
export type AllowedIpsInput = {
  file: string;
  plainSampleFile: string;
  limitedSampleFile: string;
  /** Tokens each limited to a list of its own (50 ranges, the first one differing). */
  ownListSampleFile: string;
  ranges: string[];
  /** In the last of the ranges, and in none of them. */
  matchingIp: string;
  otherIp: string;
  /** Addresses in the last range, more than a token's matcher remembers, used in turn. */
  manyIps: string[];
};

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

/**
 * The paired comparisons (usage recording, address limits), in a process of their own: the bench
 * runs several such processes and pools their rounds, because how the compiler builds the check
 * differs from one process to the next and moves a ratio more than anything measured in it.
 */
export type PairedInput = {
  mode: 'paired';
  /** The small database: every one of its tokens is cached after the warm-up. */
  target: CheckTargetInput;
  allowedIps: AllowedIpsInput;
  warmupSeconds: number;
  pairedRounds: number;
  pairedSecondsPerRun: number;
};

export type CheckRun = { opsPerSecond: number; opsPerCpuSecond: number; p50Ms: number; p99Ms: number; checks: number };

/** One of several things measured in alternating rounds; the first of them is the baseline. */
export type SubjectOutput = {
  label: string;
  runs: CheckRun[];
  median: { opsPerSecond: number; opsPerCpuSecond: number; p50Ms: number; p99Ms: number };
  /** Per round, this subject against the baseline: time per check (from ops/s), p50, CPU time per check. */
  ratios: { mean: number[]; p50: number[]; cpu: number[] };
  /** When pooled from several processes: each process's median time ratio. */
  processRatios?: number[];
};

export type CheckTargetOutput = SubjectOutput & { tokens: number; active: number };

export type CheckWorkerOutput = {
  targets: CheckTargetOutput[];
  queriesPerCheck: number;
  /** Tokens first seen (cache misses) over every check of the largest target's database. */
  firstSight: { misses: number; checks: number };
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

export type PairedOutput = {
  /** Issue 12: the check without a usage tracker, then with one (and the middleware's count). */
  recording: SubjectOutput[];
  /** Issue 13: no address limit, then 50 ranges with the client in the last, in none, in turn. */
  allowedIps: SubjectOutput[];
};

/** The token cache filled to its bound in a process of its own: entries, the memory it added, the peak. */
export type FullCacheInput = { mode: 'full-cache'; target: CheckTargetInput; entries: number };
export type FullCacheOutput = { entries: number; rssBytes: number; heapBytes: number; peakRssBytes: number };

/**
 * A database opened as the server opens it, with its runtime; `check` is the runtime's verifier
 * (the same cache and usage recorder) without the limits, `bare` the same without recording.
 */
type Opened = { db: Db; latchkey: Latchkey; check: Verifier; bare: Verifier; checks: number };
type Target = {
  input: CheckTargetInput;
  database: Opened;
  db: Db;
  tokens: string[];
  check: Verifier;
  cursor: number;
  runs: CheckRun[];
};

async function openDatabase(file: string, tokenCacheSize?: number): Promise<Opened> {
  const db = createDatabase(file);
  const latchkey = await createLatchkey({ database: db, clock: systemClock, tokenCacheSize, retention: null });
  const { cache, usage } = latchkey;
  const clock = systemClock;
  const check = createVerifier({ db, clock, cache, limiter: null, usage });
  const bare = createVerifier({ db, clock, cache, limiter: null });
  return { db, latchkey, check, bare, checks: 0 };
}

async function closeDatabase({ db, latchkey }: Opened): Promise<void> {
  await latchkey.close();
  await db.destroy();
}
/** Something measured in rounds: one call of `op` is one check. */
type Subject = { label: string; op: () => Promise<void>; runs: CheckRun[] };

// Room for 1,000,000 timed calls per run (8 MB): plenty for a p99, and little of the measured memory.
const LATENCIES = new Float64Array(1_000_000);
// What the REST API records a request with.
const CLIENT_IP = '127.0.0.1';
const USER_AGENT = 'latchkey-bench';
const REQUEST = { ip: CLIENT_IP, userAgent: USER_AGENT };

function nextToken(target: Target): string {
  target.database.checks++;
  const token = target.tokens[target.cursor]!;
  target.cursor = target.cursor + 1 === target.tokens.length ? 0 : target.cursor + 1;
  return token;
}

/** The items in turn, forever. */
function cycle<T>(items: readonly T[]): () => T {
  let i = -1;
  return () => {
    i = i + 1 === items.length ? 0 : i + 1;
    return items[i]!;
  };
}

/** One valid check of the target's next token, as the server makes it (with its usage tracker). */
function checkTarget(target: Target): () => Promise<void> {
  const { check: verifier } = target;
  return async () => {
    const check = await verifier.verify(nextToken(target), REQUEST);
    if (!check.ok) throw new Error(`a valid token was refused: ${check.message}`);
  };
}

/**
 * Calls `op` for `seconds`: the first half in a tight loop (throughput, no clock read per call),
 * the second half timing every call (latency). Before that, a tenth of `seconds` goes uncounted:
 * what ran before this (same process, maybe the same reader connection) has filled the caches
 * with its own pages, which is not a cost of this subject.
 */
async function measure(op: () => Promise<void>, seconds: number): Promise<CheckRun> {
  const warmUntil = performance.now() + seconds * 100;
  while (performance.now() < warmUntil) {
    for (let i = 0; i < 256; i++) await op();
  }
  let deadline = performance.now() + (seconds * 1000) / 2;
  let n = 0;
  const cpuStarted = threadCpuMs();
  const started = performance.now();
  let now = started;
  while (now < deadline) {
    // 256 checks between looks at the deadline keep the loop's own cost out of the numbers.
    for (let i = 0; i < 256; i++) await op();
    n += 256;
    now = performance.now();
  }
  const cpu = threadCpuMs() - cpuStarted;
  const throughput = { opsPerSecond: n / ((now - started) / 1000), opsPerCpuSecond: n / (cpu / 1000), checks: n };

  deadline = performance.now() + (seconds * 1000) / 2;
  let timed = 0;
  while (performance.now() < deadline && timed < LATENCIES.length - 256) {
    for (let i = 0; i < 256; i++) {
      const t0 = performance.now();
      await op();
      LATENCIES[timed++] = performance.now() - t0;
    }
  }
  const { p50, p99 } = latencySummary(LATENCIES, timed);
  return { ...throughput, checks: n + timed, p50Ms: p50, p99Ms: p99 };
}

/** Every subject once per round, the order reversed every other round. */
async function runRounds(subjects: Subject[], rounds: number, seconds: number) {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? subjects : [...subjects].reverse();
    for (const subject of order) subject.runs.push(await measure(subject.op, seconds));
  }
}

/** Medians of each subject's runs, and per-round ratios against the first subject. */
function summarize(subjects: Subject[]): SubjectOutput[] {
  const base = subjects[0]!;
  return subjects.map((subject) => ({
    label: subject.label,
    runs: subject.runs,
    median: {
      opsPerSecond: median(subject.runs.map((r) => r.opsPerSecond)),
      opsPerCpuSecond: median(subject.runs.map((r) => r.opsPerCpuSecond)),
      p50Ms: median(subject.runs.map((r) => r.p50Ms)),
      p99Ms: median(subject.runs.map((r) => r.p99Ms)),
    },
    ratios: {
      mean: subject.runs.map((r, i) => base.runs[i]!.opsPerSecond / r.opsPerSecond),
      p50: subject.runs.map((r, i) => r.p50Ms / base.runs[i]!.p50Ms),
      cpu: subject.runs.map((r, i) => base.runs[i]!.opsPerCpuSecond / r.opsPerCpuSecond),
    },
  }));
}

/** Warms each subject, then measures them in alternating rounds. */
async function compare(subjects: Subject[], input: PairedInput): Promise<SubjectOutput[]> {
  for (const subject of subjects) await measure(subject.op, input.warmupSeconds);
  await runRounds(subjects, input.pairedRounds, input.pairedSecondsPerRun);
  return summarize(subjects);
}

/** Issue 12: the same tokens checked without usage recording, and with it (as the REST API records). */
function recordingSubjects(target: Target): Subject[] {
  const { bare, check: recorded } = target.database;
  const token = cycle(target.tokens);
  return [
    {
      label: 'without recording',
      runs: [],
      op: async () => {
        const check = await bare.verify(token(), REQUEST);
        if (!check.ok) throw new Error(`a valid token was refused: ${check.message}`);
      },
    },
    {
      label: 'with recording',
      runs: [],
      op: async () => {
        const check = await recorded.verify(token(), REQUEST);
        if (!check.ok) throw new Error(`a valid token was refused: ${check.message}`);
      },
    },
  ];
}

/**
 * Issue 13: the check followed by the address test the REST middleware makes (`isAllowedIp` of the
 * client address), for tokens without a limit and for tokens limited to 50 ranges.
 */
function allowedIpSubjects(opened: Opened, input: AllowedIpsInput): Subject[] {
  const { check: verifier } = opened;
  const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as string[];
  const plain = read(input.plainSampleFile);
  const limited = read(input.limitedSampleFile);
  const ownList = read(input.ownListSampleFile);
  const subject = (label: string, tokens: string[], ips: string[], allowed: boolean): Subject => {
    const token = cycle(tokens);
    const ip = cycle(ips);
    return {
      label,
      runs: [],
      op: async () => {
        // The address test is made here, on the token, to time it apart from the check.
        const check = await verifier.verify(token(), { ...REQUEST, checkAddress: false });
        if (!check.ok) throw new Error(`a valid token was refused: ${check.message}`);
        if (check.token.isAllowedIp(ip()) !== allowed) throw new Error(`the address test did not answer ${allowed}`);
      },
    };
  };
  return [
    subject('no address limit', plain, [input.matchingIp], true),
    subject(`${input.ranges.length} ranges, client in the last`, limited, [input.matchingIp], true),
    subject(`${input.ranges.length} ranges, client in none`, limited, [input.otherIp], false),
    subject(
      `${input.ranges.length} ranges, each token its own list, client in the last`,
      ownList,
      [input.matchingIp],
      true,
    ),
    subject(
      `${input.ranges.length} ranges, ${input.manyIps.length} client addresses in turn`,
      limited,
      input.manyIps,
      true,
    ),
  ];
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
async function timedRefusals(verifier: Verifier, tokens: string[], seconds: number) {
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
        const check = await verifier.verify(token);
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
  verifier: Verifier,
  tokens: string[],
  seconds: number,
): Promise<{ opsPerSecond: number; opsPerCpuSecond: number }> {
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
      if (!(await verifier.verify(token)).ok) n++;
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
async function fillCache(target: CheckTargetInput, entries: number) {
  const tokens = (JSON.parse(fs.readFileSync(target.sampleFile, 'utf8')) as string[]).slice(0, entries);
  if (tokens.length < entries) throw new Error(`the sample holds ${tokens.length} tokens, not ${entries}`);
  const opened = await openDatabase(target.file, entries);
  const gc = (globalThis as { gc?: () => void }).gc;
  try {
    await opened.bare.verify(tokens[0]);
    gc?.();
    const before = process.memoryUsage();
    for (const token of tokens) await opened.bare.verify(token);
    gc?.();
    const after = process.memoryUsage();
    return {
      entries: opened.latchkey.cache.size,
      rssBytes: after.rss - before.rss,
      heapBytes: after.heapUsed - before.heapUsed,
    };
  } finally {
    await closeDatabase(opened);
  }
}

async function main(input: CheckWorkerInput): Promise<CheckWorkerOutput> {
  const opened: Opened[] = [];
  const targets: Target[] = [];
  try {
    for (const target of input.targets) {
      // Each target opens its database on its own, as its own server would: the 1M file's targets
      // with 1,000 and with 10,000 active tokens must not share one token cache. As in the server,
      // uses are kept in memory and written in a batch every 30 s.
      const database = await openDatabase(target.file);
      opened.push(database);
      const tokens = (JSON.parse(fs.readFileSync(target.sampleFile, 'utf8')) as string[]).slice(0, target.active);
      targets.push({ input: target, database, db: database.db, check: database.check, tokens, cursor: 0, runs: [] });
    }
    const subjects: Subject[] = targets.map((target) => ({
      label: target.input.label,
      op: checkTarget(target),
      runs: target.runs,
    }));
    // Warm every target: JIT, the prepared statement, the pages of the active tokens' rows.
    for (const subject of subjects) await measure(subject.op, input.warmupSeconds);

    // Statements per check, counted at the driver over 1,000 checks of the largest target.
    const counted = targets[targets.length - 1]!;
    const counter = countQueries();
    for (let i = 0; i < 1000; i++) await counted.check.verify(nextToken(counted), REQUEST);
    const queriesPerCheck = counter.count / 1000;
    counter.stop();

    await runRounds(subjects, input.rounds, input.secondsPerRun);
    const outputs: CheckTargetOutput[] = summarize(subjects).map((output, i) => ({
      ...output,
      tokens: targets[i]!.input.tokens,
      active: targets[i]!.tokens.length,
    }));

    const largest = targets[targets.length - 1]!;
    const firstSight = { misses: largest.database.latchkey.cache.size, checks: largest.database.checks };
    const bad = malformedTokens(largest.tokens);
    await refusalThroughput(largest.check, bad, input.warmupSeconds);
    const timed = await timedRefusals(largest.check, bad, input.malformedSeconds / 2);
    const throughput = await refusalThroughput(largest.check, bad, input.malformedSeconds / 2);

    return {
      targets: outputs,
      queriesPerCheck,
      firstSight,
      malformed: { ...timed, ...throughput, kinds: 8 },
      reference: await reference(Math.min(1, input.secondsPerRun)),
      peakRssBytes: residentSet()?.peak ?? Number.NaN,
      memoryUsage: process.memoryUsage(),
    };
  } finally {
    for (const database of opened) await closeDatabase(database);
  }
}

/** The paired comparisons alone, on the small database and the address-limit one. */
async function pairedOnly(input: PairedInput): Promise<PairedOutput> {
  const opened: Opened[] = [];
  const open = async (file: string): Promise<Opened> => {
    const database = await openDatabase(file);
    opened.push(database);
    return database;
  };
  try {
    const database = await open(input.target.file);
    const tokens = (JSON.parse(fs.readFileSync(input.target.sampleFile, 'utf8')) as string[]).slice(
      0,
      input.target.active,
    );
    const target: Target = { input: input.target, database, ...database, tokens, cursor: 0, runs: [] };
    // Every token cached (and the check compiled) before either subject runs.
    await measure(checkTarget(target), input.warmupSeconds);
    const recording = await compare(recordingSubjects(target), input);
    const allowedIps = await compare(allowedIpSubjects(await open(input.allowedIps.file), input.allowedIps), input);
    return { recording, allowedIps };
  } finally {
    for (const database of opened) await closeDatabase(database);
  }
}

/** A process of its own fills one token cache to its bound: what it added, and the process's peak. */
async function fullCacheOnly(input: FullCacheInput): Promise<FullCacheOutput> {
  const fullCache = await fillCache(input.target, input.entries);
  return { ...fullCache, peakRssBytes: residentSet()?.peak ?? Number.NaN };
}

const input = JSON.parse(process.argv[2] ?? '{}') as CheckWorkerInput | FullCacheInput | PairedInput;
const run = !('mode' in input) ? main(input) : input.mode === 'paired' ? pairedOnly(input) : fullCacheOnly(input);
run.then(
  (output) => process.send!({ ok: true, output }, () => process.exit(0)),
  (error: unknown) =>
    process.send!({ ok: false, error: (error as Error).stack ?? String(error) }, () => process.exit(1)),
);
