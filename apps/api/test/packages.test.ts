// The packages as someone outside the repository gets them: @latchkey/lib and @latchkey/client packed
// with `pnpm pack` (which builds dist/ and turns workspace: and catalog: versions into real ones),
// installed from the tarballs with plain npm into a new project in the system's temporary folder,
// type-checked there with `module: NodeNext` and `strict`, and run with plain node against a real
// server (test/package-consumer/ is that project's code). And the `latchkey` command installed with
// npm from apps/api, as README.md says: `--help`, then real commands on the server's SQLite file.
import { execFile, type ChildProcess, type ExecFileOptions } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type TypeScript from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startChildServer, type ChildServer } from './reliability/support/child-server';

const run = promisify(execFile);
const API_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = path.resolve(API_DIR, '../..');
const CONSUMER_SOURCES = path.join(API_DIR, 'test/package-consumer');
const requireFromApi = createRequire(path.join(API_DIR, 'package.json'));
const TSC = requireFromApi.resolve('typescript/bin/tsc');
const TSX_LOADER = requireFromApi.resolve('tsx');
// The pnpm that started the test command (`pnpm test` runs this file through pnpm), else as README.md runs it.
const PNPM = /pnpm/.test(path.basename(process.env.npm_execpath ?? ''))
  ? [process.execPath, process.env.npm_execpath!]
  : ['npx', '-y', 'pnpm@10'];

let dir: string;
let server: ChildServer | undefined;
/** Every child started here, stopped in afterAll even when a step timed out. */
const children = new Set<ChildProcess>();
const serverOutput: string[] = [];

/** The environment of a person's shell: none of the test runner's, pnpm's or npm's own variables. */
function plainEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === 'NODE_OPTIONS' || key === 'NODE_ENV') continue;
    if (key.startsWith('VITEST') || /^(npm|pnpm)_/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

async function sh(command: string[], options: ExecFileOptions & { env?: Record<string, string> } = {}) {
  const [file, ...args] = command;
  const running = run(file!, args, {
    env: plainEnv(),
    maxBuffer: 16 * 1024 * 1024,
    timeout: 150_000,
    ...options,
    encoding: 'utf8',
  });
  children.add(running.child);
  try {
    const { stdout, stderr } = await running;
    return { stdout, stderr };
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command.join(' ')} failed: ${failed.message}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`, {
      cause: error,
    });
  } finally {
    children.delete(running.child);
  }
}

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await server?.kill();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-packages-'));
});

describe('the latchkey command, installed with npm', () => {
  let latchkey: string;
  let database: string;

  beforeAll(async () => {
    await sh([process.execPath, '--import', TSX_LOADER, path.join(API_DIR, 'scripts/bundle.ts'), '--cli']);
    const prefix = path.join(dir, 'global');
    fs.mkdirSync(path.join(prefix, 'lib'), { recursive: true });
    // What a person runs in their clone: a global install of the folder links its `bin`.
    await sh(['npm', 'install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', API_DIR]);
    latchkey = path.join(prefix, 'bin', 'latchkey');
    database = path.join(dir, 'latchkey.db');
  }, 120_000);

  it('prints its help under its own name', async () => {
    const { stdout, stderr } = await sh([latchkey, '--help'], { env: plainEnv({ DATABASE_URL: database }) });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage: latchkey \[options\] \[command\]/);
    expect(stdout).toContain('token:create [options]');
    expect(stdout).toContain(`Database: SQLite file ${database}`);
    expect(stdout).toContain('Each command has its own help: latchkey <command> --help');

    // How long `--help` takes is a row of `pnpm bench` (installed command vs `node -e 0`), not a test.
  });

  it('migrates a new SQLite file and creates a user and a token on it', async () => {
    const env = plainEnv({ DATABASE_URL: database, LATCHKEY_PASSWORD: 'correct horse battery' });
    expect((await sh([latchkey, 'migrate'], { env })).stdout).toMatch(/^applied: 0001_initial/);
    expect((await sh([latchkey, 'user:create', '--email', 'pkg@example.com', '--name', 'Pkg'], { env })).stdout).toBe(
      'created user 1 <pkg@example.com>\n',
    );
    const { stdout } = await sh([latchkey, 'token:create', '--email', 'pkg@example.com', '--name', 'outside'], { env });
    expect(stdout).toMatch(/^api_[0-9A-Za-z]{36}\n$/);
    fs.writeFileSync(path.join(dir, 'token'), stdout.trim());
  }, 60_000);
});

describe('@latchkey/lib and @latchkey/client, packed and installed with npm outside the workspace', () => {
  const project = () => path.join(dir, 'consumer');

  beforeAll(async () => {
    const tarballs = path.join(dir, 'tarballs');
    for (const name of ['lib', 'client']) {
      await sh([...PNPM, 'pack', '--pack-destination', tarballs], {
        cwd: path.join(REPO_ROOT, 'packages', name),
        env: plainEnv(),
      });
    }
    fs.mkdirSync(path.join(project(), 'src'), { recursive: true });
    for (const file of fs.readdirSync(CONSUMER_SOURCES)) {
      fs.copyFileSync(path.join(CONSUMER_SOURCES, file), path.join(project(), 'src', file));
    }
    const manifest = {
      name: 'latchkey-consumer',
      private: true,
      type: 'module',
      dependencies: {
        '@latchkey/client': `file:${path.join(tarballs, 'latchkey-client-0.1.0.tgz')}`,
        '@latchkey/lib': `file:${path.join(tarballs, 'latchkey-lib-0.1.0.tgz')}`,
      },
    };
    fs.writeFileSync(path.join(project(), 'package.json'), JSON.stringify(manifest, null, 2));
    const compilerOptions = {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      // Checking every library's declarations would take a minute; ours are checked below instead.
      skipLibCheck: true,
      outDir: 'dist',
      rootDir: 'src',
    };
    fs.writeFileSync(path.join(project(), 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));

    // `--ignore-scripts`: better-sqlite3's install script compiles SQLite when no prebuilt addon can be
    // downloaded (none can here), about two minutes; the workspace's copy of the same version, built
    // for this node, is put in its place instead. Everything else is npm's own install.
    await sh(['npm', 'install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: project(),
    });
    const workspaceSqlite = path.dirname(
      createRequire(path.join(REPO_ROOT, 'packages/lib/package.json')).resolve('better-sqlite3/package.json'),
    );
    const installedSqlite = path.join(project(), 'node_modules/better-sqlite3');
    const versionOf = (folder: string) =>
      (JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8')) as { version: string }).version;
    expect(versionOf(installedSqlite)).toBe(versionOf(workspaceSqlite));
    fs.cpSync(path.join(workspaceSqlite, 'build/Release'), path.join(installedSqlite, 'build/Release'), {
      recursive: true,
      filter: (source) => !source.includes(`${path.sep}obj`),
    });
  }, 240_000);

  it('hold only built JavaScript and declarations, with real versions for every dependency', () => {
    for (const name of ['lib', 'client']) {
      const installed = path.join(project(), 'node_modules/@latchkey', name);
      const manifest = fs.readFileSync(path.join(installed, 'package.json'), 'utf8');
      expect(manifest).not.toMatch(/workspace:|catalog:/);
      const files = fs.readdirSync(installed, { recursive: true }).map(String);
      expect(files.filter((file) => /\.ts$/.test(file) && !/\.d\.ts$/.test(file))).toEqual([]);
      expect(files).toContain(path.join('dist', 'index.js'));
      expect(files).toContain(path.join('dist', 'index.d.ts'));
    }
  });

  it('ship declarations whose every import resolves to declarations for a NodeNext project', () => {
    // With skipLibCheck a declaration importing a module without types (a missing @types package) or
    // a relative path without its .js would quietly become `any`: resolve each import as tsc would.
    const ts = requireFromApi('typescript') as typeof TypeScript;
    const options = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
    const unresolved: string[] = [];
    let imports = 0;
    for (const name of ['lib', 'client']) {
      const dist = path.join(project(), 'node_modules/@latchkey', name, 'dist');
      // Node's own modules are declared by @types/node as ambient modules (no file to resolve to): they
      // count as resolved when the package depends on @types/node, so that an outsider gets them.
      const manifest = JSON.parse(fs.readFileSync(path.join(dist, '..', 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const nodeTypes = manifest.dependencies?.['@types/node'] !== undefined;
      for (const file of fs.readdirSync(dist, { recursive: true }).map(String)) {
        if (!file.endsWith('.d.ts')) continue;
        const declaration = path.join(dist, file);
        for (const { fileName } of ts.preProcessFile(fs.readFileSync(declaration, 'utf8'), true, true).importedFiles) {
          imports++;
          if (fileName.startsWith('node:') && nodeTypes) continue;
          const { resolvedModule } = ts.resolveModuleName(
            fileName,
            declaration,
            options,
            ts.sys,
            undefined,
            undefined,
            ts.ModuleKind.ESNext,
          );
          if (!resolvedModule || !/\.d\.[cm]?ts$/.test(resolvedModule.resolvedFileName))
            unresolved.push(`${name}/dist/${file}: ${fileName}`);
        }
      }
    }
    expect(imports).toBeGreaterThan(100);
    expect(unresolved).toEqual([]);
  });

  it('type-check with module NodeNext and strict, and run under plain node against a running server', async () => {
    await sh([process.execPath, TSC, '-p', project()], { cwd: project() });

    const database = path.join(dir, 'latchkey.db');
    const token = fs.readFileSync(path.join(dir, 'token'), 'utf8');
    server = await startChildServer({ databaseUrl: database, port: await freePort(), output: serverOutput });
    const { stdout } = await sh([process.execPath, 'dist/main.js'], {
      cwd: project(),
      env: plainEnv({ LATCHKEY_URL: server.url, LATCHKEY_TOKEN: token, LATCHKEY_DATABASE: database }),
    });
    const answer = JSON.parse(stdout) as {
      me: { user: { id: number; email: string }; token: { id: number } };
      check: { ok: boolean; tokenId?: number; userId?: number };
      wrong: { ok: boolean; message?: string };
    };
    expect(answer.me.user).toMatchObject({ email: 'pkg@example.com' });
    expect(answer.check).toEqual({ ok: true, tokenId: answer.me.token.id, userId: answer.me.user.id });
    expect(answer.wrong).toEqual({ ok: false, message: 'Invalid token' });
  }, 120_000);
});
