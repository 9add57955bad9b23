// The server under test, started exactly as in production (`node apps/api/dist/main.js`, the bundle
// `pnpm start` builds and runs) in a child process, so the load generator never shares its event
// loop or its core.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { residentSet } from './memory';
import { PROFILE_DIR, REPO_ROOT, SERVER_BUNDLE_SCRIPT, SERVER_ENTRY } from './paths';

export type ServerProcess = {
  url: string;
  pid: number;
  /** Peak and current RSS of the server so far. */
  memory(): { peak: number; current: number } | null;
  stop(): Promise<void>;
};

/** Builds the server's bundle from the current sources, as `pnpm start` does before it starts it. */
export function buildServer(): void {
  execFileSync(process.execPath, ['--import', 'tsx', SERVER_BUNDLE_SCRIPT], { cwd: REPO_ROOT, stdio: 'inherit' });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Rate limits high enough that no benchmark request is ever refused for them. */
export const UNLIMITED_RATE_LIMITS = {
  RATE_LIMIT_IP_PER_MINUTE: '1000000000',
  RATE_LIMIT_OWNER_PER_MINUTE: '1000000000',
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1000000000',
  RATE_LIMIT_TRPC_PER_MINUTE: '1000000000',
  RATE_LIMIT_SIGN_IN_FAILURES: '1000000000',
};

export async function startServer({
  databaseUrl,
  profile,
  label,
  env = {},
}: {
  databaseUrl: string;
  profile: boolean;
  label: string;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  const port = await freePort();
  const nodeArgs: string[] = [];
  if (profile) {
    // One folder per process; one file per thread in it.
    const dir = path.join(PROFILE_DIR, `server-${label}`);
    fs.mkdirSync(dir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  // The request log goes where production sends it (stdout, one JSON line per request, level
  // info), and stdout goes to /dev/null: the server pays for every log line, nobody reads them.
  const devNull = fs.openSync('/dev/null', 'w');
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, SERVER_ENTRY], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      ...UNLIMITED_RATE_LIMITS,
      ...env,
    },
    stdio: ['ignore', devNull, 'pipe'],
  });
  fs.closeSync(devNull);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the ${label} server exited at start (${child.exitCode}): ${stderr.trim()}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the ${label} server did not answer within 30 s: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    pid: child.pid!,
    memory: () => residentSet(child.pid),
    async stop() {
      if (child.exitCode !== null) return;
      // SIGTERM: the server's own graceful shutdown (and, with --cpu-prof, the profile is written).
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
