// The peer measured in the same run: better-auth's api-key plugin (`auth.api.verifyApiKey`) on SQLite,
// from bench/peer-better-auth/, a project of its own with its own lockfile, outside the pnpm workspace,
// so better-auth never becomes a dependency of Latchkey. Installs it with `npm ci` on first use, runs
// its script in a child process and returns what it printed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BENCH_DIR } from './paths';

export const PEER_DIR = path.join(BENCH_DIR, 'peer-better-auth');
const PEER_SCRIPT = path.join(PEER_DIR, 'verify-bench.mjs');
/** npm writes this at the end of a finished install; a half-done one has none and is redone. */
const INSTALLED_MARKER = path.join(PEER_DIR, 'node_modules', '.package-lock.json');
/** Compiling better-sqlite3 from source (when the workspace's addon does not fit) takes minutes here. */
const INSTALL_TIMEOUT_MS = 20 * 60_000;
const RUN_TIMEOUT_MS = 10 * 60_000;

export type PeerBetterAuthOptions = {
  /** API keys created, all of them verified round-robin (default 1,000). */
  keys?: number;
  warmupSeconds?: number;
  secondsPerRound?: number;
  rounds?: number;
  log?: (line: string) => void;
};

export type PeerBetterAuthResult = {
  /** Median over the rounds, one verify at a time on one thread. */
  verifiesPerSecond: number;
  verifiesPerCpuSecond: number;
  p50Ms: number;
  p99Ms: number;
  rounds: number[];
  verifies: number;
  keys: number;
  hotKeys: number;
  warmupSeconds: number;
  secondsPerRound: number;
  createSeconds: number;
  rateLimiting: false;
  sqlite: { version: string; journalMode: string; synchronous: number };
  versions: Record<string, string>;
  /** Seconds spent on `npm ci` in this call; 0 when the peer was already installed. */
  installSeconds: number;
};

/** The environment without what a parent pnpm or npm passes down (npm_config_* and the like). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
}

function run(
  command: string,
  args: string[],
  { cwd, timeoutMs, onStderrLine }: { cwd: string; timeoutMs: number; onStderrLine: (line: string) => void },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let pending = '';
    const tail: string[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        onStderrLine(line);
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (pending) tail.push(pending);
      const ended = signal ? `was killed (${signal}; limit ${timeoutMs / 1000} s)` : `exited ${code}`;
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} ${ended}:\n${tail.join('\n')}`));
    });
  });
}

const NATIVE_ADDON = path.join('build', 'Release', 'better_sqlite3.node');

/**
 * The workspace's compiled better-sqlite3 addon when it is the very version the peer pins (the same
 * source built for the same Node), so that the peer need not compile it again; null otherwise.
 */
function workspaceAddon(): string | null {
  const peerVersion = (
    JSON.parse(fs.readFileSync(path.join(PEER_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  ).dependencies['better-sqlite3'];
  try {
    const manifest = createRequire(path.join(BENCH_DIR, 'package.json')).resolve('better-sqlite3/package.json');
    const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string };
    const addon = path.join(path.dirname(manifest), NATIVE_ADDON);
    return version === peerVersion && fs.existsSync(addon) ? addon : null;
  } catch {
    return null;
  }
}

/**
 * Installs the peer from its own lockfile unless a finished install is already there. Its only
 * install script is better-sqlite3's build, so the packages go in without scripts and the addon is
 * copied from the workspace when the versions match (compiling it takes minutes here).
 */
export async function installPeerBetterAuth(log: (line: string) => void = () => {}): Promise<number> {
  if (fs.existsSync(INSTALLED_MARKER)) return 0;
  const addon = workspaceAddon();
  const build = addon ? "better-sqlite3's addon copied from the workspace" : 'compiles better-sqlite3';
  log(`peer: installing better-auth into bench/peer-better-auth (npm ci, its own lockfile; ${build})…`);
  const started = performance.now();
  const options = { cwd: PEER_DIR, timeoutMs: INSTALL_TIMEOUT_MS, onStderrLine: () => {} };
  await run('npm', ['ci', '--prefix', PEER_DIR, '--no-audit', '--no-fund', '--ignore-scripts'], options);
  const target = path.join(PEER_DIR, 'node_modules', 'better-sqlite3', NATIVE_ADDON);
  if (addon) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(addon, target);
  } else {
    await run('npm', ['rebuild', 'better-sqlite3', '--prefix', PEER_DIR, '--no-audit', '--no-fund'], options);
  }
  if (!fs.existsSync(INSTALLED_MARKER)) throw new Error(`npm ci finished but ${INSTALLED_MARKER} is missing`);
  return (performance.now() - started) / 1000;
}

/** better-auth's `verifyApiKey` throughput over `keys` hot keys on one thread, measured in a child process. */
export async function runPeerBetterAuth(options: PeerBetterAuthOptions = {}): Promise<PeerBetterAuthResult> {
  const log = options.log ?? (() => {});
  const installSeconds = await installPeerBetterAuth(log);
  const args = [PEER_SCRIPT];
  if (options.keys !== undefined) args.push('--keys', String(options.keys));
  if (options.warmupSeconds !== undefined) args.push('--warmup', String(options.warmupSeconds));
  if (options.secondsPerRound !== undefined) args.push('--seconds', String(options.secondsPerRound));
  if (options.rounds !== undefined) args.push('--rounds', String(options.rounds));
  const stdout = await run(process.execPath, args, {
    cwd: PEER_DIR,
    timeoutMs: RUN_TIMEOUT_MS,
    onStderrLine: (line) => {
      if (line.startsWith('[peer-better-auth] ')) log(`peer: ${line.slice('[peer-better-auth] '.length)}`);
    },
  });
  const last = stdout.trim().split('\n').pop() ?? '';
  let parsed: Omit<PeerBetterAuthResult, 'installSeconds'>;
  try {
    parsed = JSON.parse(last) as Omit<PeerBetterAuthResult, 'installSeconds'>;
  } catch {
    throw new Error(`peer: expected one JSON line on stdout, got: ${last.slice(0, 200) || '(nothing)'}`);
  }
  if (!Number.isFinite(parsed.verifiesPerSecond) || parsed.verifiesPerSecond <= 0)
    throw new Error(`peer: no verifiesPerSecond in its output: ${last.slice(0, 200)}`);
  return { ...parsed, installSeconds };
}
