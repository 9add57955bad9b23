// The production server (the bundle `pnpm start` runs) in a process of its own, for the suites that
// measure it from outside: built under a name of its own in dist/, started on a free port with a
// fresh SQLite file, its resident memory read from /proc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const API_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Builds dist/<name>.js from the current sources (as `pnpm start` builds dist/main.js) and returns its path. */
export function buildBundle(name: string): string {
  execFileSync(process.execPath, ['--import', TSX_LOADER, path.join(API_DIR, 'scripts/bundle.ts'), name]);
  return path.join(API_DIR, 'dist', `${name}.js`);
}

export type Memory = { peakKb: number; residentKb: number };

export type BundleServer = {
  pid: number;
  url: string;
  output(): string;
  /** VmHWM (the most it ever held) and VmRSS (what it holds now) of the server process. */
  memory(): Memory;
  stop(): Promise<void>;
};

/** Starts `bundle` with plain node, as an operator does, and waits until it listens. */
export async function startBundle(bundle: string, extraEnv: Record<string, string> = {}): Promise<BundleServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bundle-'));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Nothing of the test runner's loaders or NODE_ENV reaches the server.
    if (value !== undefined && key !== 'NODE_OPTIONS' && key !== 'NODE_ENV' && !key.startsWith('VITEST'))
      env[key] = value;
  }
  Object.assign(env, {
    DATABASE_URL: path.join(dir, 'server.db'),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...extraEnv,
  });
  const child: ChildProcess = spawn(process.execPath, [bundle], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const deadline = Date.now() + 30_000;
  let port: number | undefined;
  while (port === undefined) {
    const line = output.split('\n').find((text) => text.includes('"Latchkey listening'));
    if (line) port = (JSON.parse(line) as { port: number }).port;
    else if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`the server did not start:\n${output}`);
    } else await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    memory() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]);
      return { peakKb: kb('VmHWM'), residentKb: kb('VmRSS') };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
