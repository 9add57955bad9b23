// `latchkey --help` as an operator runs it once the command is installed (`npm install --global
// ./apps/api`, here into a prefix in the run's folder): its wall time from spawn to exit, against
// `node -e 0` (node starting and doing nothing) measured alternately in the same run.
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './paths';
import { median } from './stats';

export type CliStartResult = {
  runs: number;
  /** Median wall times in milliseconds. */
  helpMs: number;
  nodeMs: number;
};

function wallMs(command: string, args: string[]): number {
  const started = performance.now();
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

/** Installs the command (apps/api/dist/latchkey.js must be built) and times `runs` pairs of starts. */
export async function runCliStartBench(options: {
  dir: string;
  runs: number;
  log: (line: string) => void;
}): Promise<CliStartResult> {
  const { dir, runs, log } = options;
  const prefix = path.join(dir, 'cli-prefix');
  fs.mkdirSync(path.join(prefix, 'lib'), { recursive: true });
  const api = path.join(REPO_ROOT, 'apps/api');
  await promisify(execFile)('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', api]);
  const latchkey = path.join(prefix, 'bin', 'latchkey');
  log(`latchkey --help (installed) vs node -e 0, ${runs} pairs…`);
  // One of each first, so neither pays for files read from disk the first time.
  wallMs(latchkey, ['--help']);
  wallMs(process.execPath, ['-e', '0']);
  const help: number[] = [];
  const node: number[] = [];
  for (let i = 0; i < runs; i++) {
    help.push(wallMs(latchkey, ['--help']));
    node.push(wallMs(process.execPath, ['-e', '0']));
  }
  return { runs, helpMs: median(help), nodeMs: median(node) };
}
