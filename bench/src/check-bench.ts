// Parent side of the in-process request-check benchmark: seeds a small and a large SQLite file,
// then runs check-worker.ts in its own process and collects what it measured.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CheckTargetInput, CheckWorkerInput, CheckWorkerOutput } from './check-worker';
import { BENCH_DIR, PROFILE_DIR } from './paths';
import { seedSqlite } from './seed';

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
  profile: boolean;
  log: (line: string) => void;
};

export type CheckBenchResult = CheckWorkerOutput & {
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

export async function runCheckBench(options: CheckBenchOptions): Promise<CheckBenchResult> {
  const maxActive = Math.max(...options.active);
  const small = await seedCheckDatabase(options.dir, options.smallTokens, options.smallTokens, options.log);
  const large = await seedCheckDatabase(
    options.dir,
    options.largeTokens,
    Math.max(maxActive, options.fullCacheEntries),
    options.log,
  );
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
  options.log(
    `checking tokens in-process at ${targets.map((t) => `${t.label} (${t.active.toLocaleString('en-US')} active)`).join(', ')}; ${options.rounds} rounds…`,
  );
  const child = spawn(
    process.execPath,
    [...nodeArgs, path.join(BENCH_DIR, 'src/check-worker.ts'), JSON.stringify(input)],
    {
      cwd: BENCH_DIR,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  type Answer = { ok: boolean; output?: CheckWorkerOutput; error?: string };
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
  return {
    ...message.output,
    seedSeconds: { small: small.seconds, large: large.seconds },
    largeFile: large.file,
    largeSampleFile: large.sampleFile,
  };
}
