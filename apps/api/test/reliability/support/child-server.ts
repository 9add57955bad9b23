// The real server in a child process (`node --import tsx src/main.ts`), as an operator runs it: a
// port picked here, its output captured for the secrets check, and SIGKILL for the crash suites.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const API_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export type ChildServer = {
  pid: number;
  port: number;
  url: string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resident memory in kB from /proc, or null once the process is gone. */
  rssKb(): number | null;
};

export type StartChildServerOptions = {
  databaseUrl: string;
  port: number;
  env?: Record<string, string>;
  /** Every byte the process writes to stdout and stderr is appended here. */
  output: string[];
  /** How long to wait for GET /api/health to answer 200. */
  readyTimeoutMs?: number;
};

export async function startChildServer(options: StartChildServerOptions): Promise<ChildServer> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Nothing of the test runner's own loaders reaches the server.
    if (value !== undefined && key !== 'NODE_OPTIONS' && !key.startsWith('VITEST')) env[key] = value;
  }
  Object.assign(
    env,
    { DATABASE_URL: options.databaseUrl, PORT: String(options.port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    options.env,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: API_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout.on('data', (chunk: Buffer) => options.output.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => options.output.push(chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const url = `http://127.0.0.1:${options.port}`;
  const server: ChildServer = {
    pid: child.pid!,
    port: options.port,
    url,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    rssKb() {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const match = /VmRSS:\s+(\d+) kB/.exec(status);
        return match ? Number(match[1]) : null;
      } catch {
        return null;
      }
    },
  };

  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the server exited before it was ready:\n${options.output.join('').slice(-2000)}`);
    try {
      const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return server;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await server.kill();
  const output = options.output.join('').slice(-2000);
  throw new Error(`the server did not answer /api/health within ${options.readyTimeoutMs ?? 60_000} ms:\n${output}`);
}
