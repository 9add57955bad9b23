// Parent side of the in-process request-check benchmark: seeds a small and a large SQLite file (and
// one whose tokens have address limits), then runs check-worker.ts in its own process, the paired
// comparisons in several more, and a full token cache in one of its own, and collects what they
// measured.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { hashSecret, normaliseAllowedIp } from '@latchkey/lib';
import type {
  AllowedIpsInput,
  CheckTargetInput,
  CheckWorkerInput,
  CheckWorkerOutput,
  FullCacheInput,
  FullCacheOutput,
  PairedInput,
  PairedOutput,
  SubjectOutput,
} from './check-worker';
import { BENCH_DIR, PROFILE_DIR } from './paths';
import { seedSqlite } from './seed';
import { median } from './stats';

export type CheckBenchOptions = {
  dir: string;
  smallTokens: number;
  largeTokens: number;
  /** Distinct tokens checked at each size; the first is the same at both sizes. */
  active: number[];
  rounds: number;
  secondsPerRun: number;
  warmupSeconds: number;
  malformedSeconds: number;
  fullCacheEntries: number;
  /** How many processes run the paired comparisons, each for `pairedRounds` rounds. */
  pairedProcesses: number;
  pairedRounds: number;
  pairedSecondsPerRun: number;
  profile: boolean;
  log: (line: string) => void;
};

export type CheckBenchResult = CheckWorkerOutput &
  PairedOutput & {
    /** The cache filled to its bound in a process that does nothing else. */
    fullCache: FullCacheOutput;
    seedSeconds: { small: number; large: number };
    largeFile: string;
    largeSampleFile: string;
  };

export function sizeLabel(tokens: number): string {
  return tokens >= 1_000_000 ? `${tokens / 1_000_000}M` : tokens >= 1000 ? `${tokens / 1000}k` : String(tokens);
}

export async function seedCheckDatabase(dir: string, tokens: number, sample: number, log: (line: string) => void) {
  const file = path.join(dir, `check-${sizeLabel(tokens)}.db`);
  log(`seeding ${tokens.toLocaleString('en-US')} tokens into SQLite (raw prepared inserts, one transaction)…`);
  const seeded = await seedSqlite(file, { tokens, sample: Math.min(tokens, sample) });
  const sampleFile = `${file}.sample.json`;
  fs.writeFileSync(sampleFile, JSON.stringify(seeded.sample));
  return { file, sampleFile, seconds: seeded.seconds };
}

/**
 * 50 ranges, IPv4 and IPv6 alternating (26 and 24), the last one IPv4, in their stored (normalised)
 * form; an address in the last range, one in none, and 254 addresses of the last range.
 */
export function allowedIpRanges() {
  const entries: string[] = [];
  for (let i = 0; i < 49; i++) entries.push(i % 2 === 0 ? `10.${i}.0.0/16` : `2001:db8:${i.toString(16)}::/48`);
  entries.push('203.0.113.0/24');
  const ranges = entries.map((entry) => {
    const normal = normaliseAllowedIp(entry);
    if (!normal.ok) throw new Error(`${entry}: ${normal.reason}`);
    return normal.value;
  });
  const manyIps = Array.from({ length: 254 }, (_, i) => `203.0.113.${i + 1}`);
  return { ranges, matchingIp: '203.0.113.7', otherIp: '198.51.100.7', manyIps };
}

/**
 * 3,000 tokens: 1,000 without an address limit, 1,000 limited to `allowedIpRanges()`, and 1,000
 * each limited to a list of its own (its first range differs), set in their rows.
 */
async function seedAllowedIpsDatabase(dir: string, log: (line: string) => void): Promise<AllowedIpsInput> {
  const file = path.join(dir, 'check-allowed-ips.db');
  log('seeding 3,000 tokens into SQLite, 2,000 of them limited to 50 address ranges…');
  const { sample } = await seedSqlite(file, { tokens: 3000, sample: 3000 });
  const plain = sample.slice(0, 1000);
  const limited = sample.slice(1000, 2000);
  const own = sample.slice(2000);
  const ip = allowedIpRanges();
  const sqlite = new Database(file);
  const update = sqlite.prepare('update api_tokens set allowed_ips = ? where token_hash = ?');
  const set = (token: string, ranges: string[]) => {
    if (update.run(JSON.stringify(ranges), hashSecret(token)).changes !== 1) throw new Error('no row');
  };
  sqlite.transaction(() => {
    for (const token of limited) set(token, ip.ranges);
    own.forEach((token, i) => set(token, [`10.${i % 250}.${Math.floor(i / 250)}.0/24`, ...ip.ranges.slice(1)]));
  })();
  sqlite.close();
  const sampleFile = (name: string, tokens: string[]) => {
    fs.writeFileSync(`${file}.${name}.json`, JSON.stringify(tokens));
    return `${file}.${name}.json`;
  };
  return {
    file,
    plainSampleFile: sampleFile('plain', plain),
    limitedSampleFile: sampleFile('limited', limited),
    ownListSampleFile: sampleFile('own-list', own),
    ...ip,
  };
}

export async function runCheckBench(options: CheckBenchOptions): Promise<CheckBenchResult> {
  const maxActive = Math.max(...options.active);
  const small = await seedCheckDatabase(options.dir, options.smallTokens, options.smallTokens, options.log);
  const large = await seedCheckDatabase(
    options.dir,
    options.largeTokens,
    Math.max(maxActive, options.fullCacheEntries),
    options.log,
  );
  const allowedIps = await seedAllowedIpsDatabase(options.dir, options.log);
  const smallActive = Math.min(options.smallTokens, options.active[0]!);
  const targets: CheckTargetInput[] = [
    {
      label: sizeLabel(options.smallTokens),
      file: small.file,
      tokens: options.smallTokens,
      sampleFile: small.sampleFile,
      active: smallActive,
    },
    ...options.active.map((active) => ({
      label: sizeLabel(options.largeTokens),
      file: large.file,
      tokens: options.largeTokens,
      sampleFile: large.sampleFile,
      active,
    })),
  ];
  const input: CheckWorkerInput = {
    targets,
    rounds: options.rounds,
    secondsPerRun: options.secondsPerRun,
    warmupSeconds: options.warmupSeconds,
    malformedSeconds: options.malformedSeconds,
    fullCacheEntries: options.fullCacheEntries,
  };
  // A full GC before and after filling the token cache, so its memory is measured alone.
  const nodeArgs = ['--import', 'tsx', '--expose-gc'];
  if (options.profile) {
    const dir = path.join(PROFILE_DIR, 'check-worker');
    fs.mkdirSync(dir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  const sizes = targets.map((t) => `${t.label} (${t.active.toLocaleString('en-US')} active)`).join(', ');
  options.log(`checking tokens in-process at ${sizes}; ${options.rounds} rounds…`);
  const output = await runWorker<CheckWorkerOutput>(nodeArgs, input);
  options.log(
    `usage recording and address limits in-process: ${options.pairedProcesses} processes of ` +
      `${options.pairedRounds} rounds…`,
  );
  const pairedInput: PairedInput = {
    mode: 'paired',
    target: targets[0]!,
    allowedIps,
    warmupSeconds: options.warmupSeconds,
    pairedRounds: options.pairedRounds,
    pairedSecondsPerRun: options.pairedSecondsPerRun,
  };
  const paired: PairedOutput[] = [];
  for (let i = 0; i < options.pairedProcesses; i++) paired.push(await runWorker<PairedOutput>(nodeArgs, pairedInput));
  options.log(`filling a token cache of ${options.fullCacheEntries.toLocaleString('en-US')} in a process of its own…`);
  const fullCacheInput: FullCacheInput = {
    mode: 'full-cache',
    target: targets.at(-1)!,
    entries: options.fullCacheEntries,
  };
  const fullCache = await runWorker<FullCacheOutput>(nodeArgs, fullCacheInput);
  return {
    ...output,
    recording: poolSubjects(paired.map((p) => p.recording)),
    allowedIps: poolSubjects(paired.map((p) => p.allowedIps)),
    fullCache,
    seedSeconds: { small: small.seconds, large: large.seconds },
    largeFile: large.file,
    largeSampleFile: large.sampleFile,
  };
}

/**
 * The same subjects measured in several processes, as one: every process's rounds (and per-round
 * ratios) together, so the median ratio is over all of them, and each process's own median beside it.
 */
function poolSubjects(byProcess: SubjectOutput[][]): SubjectOutput[] {
  return byProcess[0]!.map((first, i) => {
    const all = byProcess.map((subjects) => subjects[i]!);
    const runs = all.flatMap((subject) => subject.runs);
    return {
      label: first.label,
      runs,
      median: {
        opsPerSecond: median(runs.map((r) => r.opsPerSecond)),
        opsPerCpuSecond: median(runs.map((r) => r.opsPerCpuSecond)),
        p50Ms: median(runs.map((r) => r.p50Ms)),
        p99Ms: median(runs.map((r) => r.p99Ms)),
      },
      ratios: {
        mean: all.flatMap((subject) => subject.ratios.mean),
        p50: all.flatMap((subject) => subject.ratios.p50),
        cpu: all.flatMap((subject) => subject.ratios.cpu),
      },
      processRatios: all.map((subject) => median(subject.ratios.mean)),
    };
  });
}

/** Runs check-worker.ts in a child process with `input` and gives what it sent back. */
async function runWorker<T>(nodeArgs: string[], input: CheckWorkerInput | FullCacheInput | PairedInput): Promise<T> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, path.join(BENCH_DIR, 'src/check-worker.ts'), JSON.stringify(input)],
    {
      cwd: BENCH_DIR,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  type Answer = { ok: boolean; output?: T; error?: string };
  const message = await new Promise<Answer>((resolve, reject) => {
    let answer: Answer | undefined;
    child.on('message', (m) => {
      answer = m as Answer;
    });
    child.on('exit', (code) =>
      answer ? resolve(answer) : reject(new Error(`the check worker exited with ${code} and no result`)),
    );
    child.on('error', reject);
  });
  if (!message.ok || !message.output) throw new Error(`the check worker failed: ${message.error}`);
  return message.output;
}
