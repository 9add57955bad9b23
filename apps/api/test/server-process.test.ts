// The server as people start it, in real processes: the bundle `pnpm start` builds and runs
// (dist/main.js, built here from the current sources first), whose start line names the database
// (relative paths from the project root), whose logs are JSON lines for a collector and readable
// lines at a terminal, and which Ctrl-C or SIGINT after a clean shutdown ends with exit 0, through
// `pnpm start` too.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BUNDLE = path.join(REPO_ROOT, 'apps/api/dist/main.js');
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let dir: string;
const started = new Set<ChildProcess>();

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-server-process-'));
  execFileSync(process.execPath, ['--import', TSX_LOADER, path.join(REPO_ROOT, 'apps/api/scripts/bundle.ts')]);
}, 60_000);
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

function serverEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...extra,
  })) {
    // Vitest's NODE_ENV=test would make `pnpm start`'s web build a development one (React's StrictMode),
    // left in apps/web/dist for the browser tests after it; a person's shell has no NODE_ENV.
    if (value !== undefined && key !== 'NODE_OPTIONS' && key !== 'NODE_ENV' && !key.startsWith('VITEST'))
      env[key] = value;
  }
  return env;
}

type Run = {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; detached?: boolean },
): Run {
  const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
  started.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

async function waitFor(runInfo: Run, pattern: RegExp, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(runInfo.output())) {
    if (runInfo.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`never saw ${pattern}; output:\n${runInfo.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the server process', () => {
  it('writes JSON lines when stdout is not a terminal, names its database at start, exits 0 on SIGINT', async () => {
    const relative = path.join('apps', 'api', `.server-test-${process.pid}`, 'server.db');
    const absolute = path.join(REPO_ROOT, relative);
    try {
      const server = run(process.execPath, [BUNDLE], {
        cwd: dir,
        env: serverEnv({ DATABASE_URL: relative, INIT_CWD: dir }),
      });
      await waitFor(server, /listening/);
      const start = server
        .output()
        .split('\n')
        .find((line) => line.includes('listening'))!;
      const entry = JSON.parse(start) as { msg: string; database: string; port: number };
      expect(entry.database).toBe(`SQLite file ${absolute}`);
      expect(entry.msg).toBe(`Latchkey listening on http://localhost:${entry.port}, database: SQLite file ${absolute}`);
      expect(fs.existsSync(absolute)).toBe(true);
      expect(fs.existsSync(path.join(dir, relative))).toBe(false);

      // Everything the bundle carries answers: REST, tRPC, the API reference (Scalar's files are
      // found in node_modules from dist/), and the JSON 404.
      const url = `http://127.0.0.1:${entry.port}`;
      const me = await fetch(`${url}/api/v1/me`);
      expect([me.status, await me.json()]).toEqual([
        401,
        { code: 'UNAUTHORIZED', message: 'API token was not provided' },
      ]);
      const session = await fetch(`${url}/api/trpc/auth.me`);
      expect(session.status).toBe(200);
      expect(await session.json()).toEqual({ result: { data: { json: { user: null } } } });
      const docs = await fetch(`${url}/api/docs`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('Latchkey API reference');
      const script = await fetch(`${url}/api/docs/assets/standalone.js`);
      expect(script.status).toBe(200);
      expect((await script.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
      // The web UI is found from dist/ as from src/ (built by `pnpm build`, which `pnpm test` runs first).
      const page = await fetch(`${url}/`);
      const built = fs.existsSync(path.join(REPO_ROOT, 'apps/web/dist/index.html'));
      expect(page.status).toBe(200);
      if (built) expect(await page.text()).toContain('<div id="root">');
      else expect(await page.text()).toContain('The web UI is not built');
      const missing = await fetch(`${url}/api/nothing-here`);
      expect([missing.status, await missing.json()]).toEqual([
        404,
        { code: 'NOT_FOUND', message: 'No such endpoint: GET /api/nothing-here' },
      ]);

      server.child.kill('SIGINT');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      for (const line of server.output().trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();
      expect(server.output()).toContain('"msg":"stopped"');
    } finally {
      fs.rmSync(path.dirname(absolute), { recursive: true, force: true });
    }
  });

  it('at a terminal, prints readable lines, and Ctrl-C ends it with exit 0', async () => {
    const database = path.join(dir, 'tty.db');
    // `script` gives the server a pseudo-terminal; ^C typed into it is a real Ctrl-C (SIGINT to the foreground).
    // It runs the command through $SHELL -c: pinned to /bin/sh, and `exec` so that no shell (dash does not exec a
    // lone command by itself) sits between the terminal and the server and dies of the same ^C.
    const server = run('script', ['-qec', `exec ${process.execPath} ${BUNDLE}`, '/dev/null'], {
      cwd: REPO_ROOT,
      env: serverEnv({ DATABASE_URL: database, SHELL: '/bin/sh' }),
    });
    await waitFor(server, /Latchkey listening/);
    const start = server
      .output()
      .split('\n')
      .find((line) => line.includes('Latchkey listening'))!;
    expect(start).not.toMatch(/^\s*\{/);
    expect(start).toMatch(/INFO/);
    expect(start).toContain(`database: SQLite file ${database}`);
    server.child.stdin!.write('\u0003');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toMatch(/stopped/);
  });

  it('`pnpm start` on Ctrl-C (SIGINT to its process group) exits 0, without pnpm\'s "Command failed"', async () => {
    const server = run('pnpm', ['start'], {
      cwd: REPO_ROOT,
      env: serverEnv({ DATABASE_URL: path.join(dir, 'pnpm-start.db') }),
      detached: true,
    });
    await waitFor(server, /Latchkey listening/, 240_000);
    // A terminal's Ctrl-C reaches every process of the foreground group: pnpm, the shell, node.
    process.kill(-server.child.pid!, 'SIGINT');
    const exit = await server.exited;
    expect(exit, server.output()).toEqual({ code: 0, signal: null });
    expect(server.output()).not.toMatch(/ELIFECYCLE|Command failed/);
  }, 300_000);
});
