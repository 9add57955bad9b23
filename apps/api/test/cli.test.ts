// `pnpm latchkey …`: every command in-process through runCli on a temporary SQLite file, its exit
// codes and messages, and once as a real child process to prove stdout holds only the token.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, hashSecret, TOKEN_REGEX } from '@latchkey/lib';
import { runCli } from '../src/cli/run-cli';
import { startServer, type TestServer } from './support/server';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let dir: string;
let dbFile: string;
let env: Record<string, string>;

type CliResult = { code: number; out: string[]; err: string[] };

async function cli(...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, env, (line) => out.push(line), (line) => err.push(line));
  return { code, out, err };
}

/** A failure: exit 1, nothing on stdout, and the error's first line starting with `latchkey: `. */
function expectFailure(result: CliResult, message: string | RegExp) {
  expect(result.code).toBe(1);
  expect(result.out).toEqual([]);
  const first = result.err.join('\n').split('\n')[0]!;
  expect(first).toMatch(typeof message === 'string' ? new RegExp(`^latchkey: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-cli-'));
  dbFile = path.join(dir, 'nested', 'cli.db');
  env = { DATABASE_URL: dbFile };
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('migrate', () => {
  it('creates the database file and its folder, then reports it is up to date', async () => {
    const first = await cli('migrate');
    expect(first).toEqual({ code: 0, out: [expect.stringMatching(/^applied: 0001_initial(, \d{4}_\w+)+$/)], err: [] });
    expect(fs.existsSync(dbFile)).toBe(true);
    expect(await cli('migrate')).toEqual({ code: 0, out: ['database is up to date'], err: [] });
  });

  it('accepts a file: URL', async () => {
    const other = path.join(dir, 'other.db');
    const out: string[] = [];
    expect(await runCli(['migrate'], { DATABASE_URL: `file:${other}` }, (l) => out.push(l), () => {})).toBe(0);
    expect(out).toEqual([expect.stringMatching(/^applied: 0001_initial(, \d{4}_\w+)+$/)]);
    expect(fs.existsSync(other)).toBe(true);
  });

  it('fails with one line for a DATABASE_URL it cannot use', async () => {
    const err: string[] = [];
    expect(await runCli(['migrate'], { DATABASE_URL: 'mysql://localhost/x' }, () => {}, (l) => err.push(l))).toBe(1);
    expect(err).toEqual(['latchkey: DATABASE_URL must be postgres://…, postgresql://…, file:<path> or a path to a SQLite file']);
  });
});

describe('user:create and user:disable', () => {
  it('creates a user', async () => {
    const result = await cli('user:create', '--email', 'Ops@Example.com', '--name', 'Ops', '--password', 'operator password');
    expect(result.code).toBe(0);
    expect(result.out).toEqual([expect.stringMatching(/^created user \d+ <ops@example\.com>$/)]);
    expect(result.err).toEqual([]);
  });

  it('refuses a taken e-mail and a short password with exit 1', async () => {
    expectFailure(await cli('user:create', '--email', 'ops@example.com', '--name', 'Again', '--password', 'operator password'), 'An account with this e-mail already exists');
    expectFailure(await cli('user:create', '--email', 'short@example.com', '--name', 'Short', '--password', 'short'), 'password: Password must be at least 8 characters');
  });

  it('disables a user; an unknown e-mail is exit 1', async () => {
    expect((await cli('user:create', '--email', 'temp@example.com', '--name', 'Temp', '--password', 'temporary password')).code).toBe(0);
    const result = await cli('user:disable', '--email', 'TEMP@example.com');
    expect(result).toEqual({ code: 0, out: ['disabled temp@example.com; their sessions and personal tokens no longer work'], err: [] });
    expectFailure(await cli('user:disable', '--email', 'ghost@example.com'), 'No user with that e-mail');
  });
});

describe('team:create and team:add-member', () => {
  beforeAll(async () => {
    expect((await cli('user:create', '--email', 'dev@example.com', '--name', 'Dev', '--password', 'developer password')).code).toBe(0);
  });

  it('creates a team with its owner as ADMIN', async () => {
    const result = await cli('team:create', '--slug', 'platform', '--name', 'Platform', '--owner', 'ops@example.com');
    expect(result.code).toBe(0);
    expect(result.out).toEqual([expect.stringMatching(/^created team \d+ \(platform\) with ops@example\.com as ADMIN$/)]);
  });

  it('refuses an unknown owner and a taken slug', async () => {
    expectFailure(await cli('team:create', '--slug', 'nobody', '--name', 'Nobody', '--owner', 'ghost@example.com'), 'No user with that e-mail');
    expectFailure(await cli('team:create', '--slug', 'platform', '--name', 'Again', '--owner', 'ops@example.com'), 'A team with this slug already exists');
  });

  it('adds a member with a role, in any case', async () => {
    const result = await cli('team:add-member', '--team', 'platform', '--email', 'dev@example.com', '--role', 'member');
    expect(result).toEqual({ code: 0, out: ['added dev@example.com to platform as MEMBER'], err: [] });
  });

  it('refuses a bad role, an unknown team, an unknown user and a second membership', async () => {
    expectFailure(await cli('team:add-member', '--team', 'platform', '--email', 'ops@example.com', '--role', 'OWNER'), 'Role must be ADMIN, MANAGER or MEMBER');
    expectFailure(await cli('team:add-member', '--team', 'nope', '--email', 'dev@example.com', '--role', 'ADMIN'), 'No team with that slug');
    expectFailure(await cli('team:add-member', '--team', 'platform', '--email', 'ghost@example.com', '--role', 'ADMIN'), 'No user with that e-mail; they need to sign up first');
    expectFailure(await cli('team:add-member', '--team', 'platform', '--email', 'dev@example.com', '--role', 'ADMIN'), 'That user is already a member of this team');
  });
});

describe('token:create, token:list and token:revoke', () => {
  let server: TestServer;

  beforeAll(async () => {
    // The server works on the same SQLite file as the command line.
    const db = createDatabase(dbFile);
    server = await startServer({ database: { kind: 'sqlite', db, url: dbFile, drop: () => db.destroy() } });
    server.clock.set(Date.now());
  });
  afterAll(async () => {
    await server?.close();
    await server?.database.drop();
  });

  it('prints only the token, which then works on the server', async () => {
    const result = await cli('token:create', '--email', 'ops@example.com', '--name', 'deploy bot');
    expect(result.code).toBe(0);
    expect(result.err).toEqual([]);
    expect(result.out).toHaveLength(1);
    expect(result.out[0]).toMatch(TOKEN_REGEX);
    server.remember(result.out[0]!);
    const me = await server.api('GET', '/api/v1/me', { token: result.out[0] });
    expect(me.status).toBe(200);
    expect(me.body.token).toMatchObject({ name: 'deploy bot', scopes: ['tokens:read', 'tokens:write', 'audit:read'], expiresAt: null });
    expect(me.body.user.email).toBe('ops@example.com');
    const created = await server.db.selectFrom('audit_events').selectAll().where('type', '=', 'token.created').where('token_id', '=', me.body.token.id).execute();
    expect(created.map((e) => e.actor_kind)).toEqual(['cli']);
  });

  it('makes a team token with an expiry and scopes', async () => {
    const result = await cli('token:create', '--email', 'ops@example.com', '--team', 'platform', '--name', 'team reader', '--expires-in', 'ONE_MONTH', '--scopes', 'tokens:read, tokens:read');
    expect(result.code).toBe(0);
    server.remember(result.out[0]!);
    const me = await server.api('GET', '/api/v1/me', { token: result.out[0] });
    expect(me.body.team).toMatchObject({ slug: 'platform' });
    expect(me.body.token.scopes).toEqual(['tokens:read']);
    const days = (Date.parse(me.body.token.expiresAt) - Date.parse(me.body.token.createdAt)) / 86_400_000;
    expect(days).toBe(30);
  });

  it('refuses an unknown --expires-in, an unknown scope, a non-admin on a team, and prints no token', async () => {
    expectFailure(await cli('token:create', '--email', 'ops@example.com', '--name', 'bad', '--expires-in', 'FOREVER'), /^latchkey: expiresIn: Expiry must be one of NEVER, /);
    expectFailure(await cli('token:create', '--email', 'ops@example.com', '--name', 'bad', '--scopes', 'invoices:read'), 'Unknown scope: invoices:read');
    expectFailure(await cli('token:create', '--email', 'dev@example.com', '--team', 'platform', '--name', 'bad'), 'You need to be a team admin to manage API tokens');
    expectFailure(await cli('token:create', '--email', 'ghost@example.com', '--name', 'bad'), 'No user with that e-mail');
  });

  it("lists a user's tokens, or a team's, as a table", async () => {
    const personal = await cli('token:list', '--email', 'ops@example.com');
    expect(personal.code).toBe(0);
    expect(personal.out[0]).toBe('ID\tNAME\tSTART\tSTATUS\tEXPIRES\tLAST USED\tSCOPES');
    expect(personal.out.slice(1).map((line) => line.split('\t')[1])).toEqual(['deploy bot']);
    expect(personal.out[1]).toMatch(/^\d+\tdeploy bot\tapi_[0-9A-Za-z]{4}…\tactive\tnever\t(never|\S+)\ttokens:read,tokens:write,audit:read$/);
    const team = await cli('token:list', '--email', 'ops@example.com', '--team', 'platform');
    expect(team.out.slice(1).map((line) => line.split('\t')[1])).toEqual(['team reader']);
    expect(await cli('token:list', '--email', 'dev@example.com')).toEqual({ code: 0, out: ['no tokens'], err: [] });
  });

  it('revokes a token by its value: it stops working at once', async () => {
    const created = await cli('token:create', '--email', 'dev@example.com', '--name', 'leaked');
    const leaked = created.out[0]!;
    server.remember(leaked);
    expect((await server.api('GET', '/api/v1/me', { token: leaked })).status).toBe(200);
    const result = await cli('token:revoke', `  ${leaked}  `);
    expect(result.code).toBe(0);
    expect(result.out).toEqual([expect.stringMatching(/^revoked token \d+ \(leaked\)$/)]);
    expect((await server.api('GET', '/api/v1/me', { token: leaked })).status).toBe(401);
    expectFailure(await cli('token:revoke', leaked), 'No such token (already deleted, or never issued here)');
    expectFailure(await cli('token:revoke', 'api_not_a_token'), /^latchkey: That is not a Latchkey token/);
  });

  it("stops a disabled user's personal tokens from working", async () => {
    expect((await cli('user:create', '--email', 'leaver@example.com', '--name', 'Leaver', '--password', 'leaver password')).code).toBe(0);
    const token = (await cli('token:create', '--email', 'leaver@example.com', '--name', 'leaver token')).out[0]!;
    server.remember(token);
    expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
    expect((await cli('user:disable', '--email', 'leaver@example.com')).code).toBe(0);
    const res = await server.api('GET', '/api/v1/me', { token });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
  });

  it('stores no plain token in the database file and logs none', async () => {
    const tokens = [...server.secrets].filter((s) => TOKEN_REGEX.test(s));
    expect(tokens.length).toBeGreaterThanOrEqual(4);
    const file = fs.readFileSync(dbFile).toString('latin1') + (fs.existsSync(`${dbFile}-wal`) ? fs.readFileSync(`${dbFile}-wal`).toString('latin1') : '');
    for (const token of tokens) expect(file).not.toContain(token);
    expect(file).toContain(hashSecret(tokens[0]!));
    expect(server.leakedSecrets()).toEqual([]);
  });
});

describe('bad command lines', () => {
  it('prints the usage and exits 1 without a command; exits 0 for --help', async () => {
    const none = await cli();
    expect(none.code).toBe(1);
    expect(none.out).toEqual([]);
    expect(none.err.join('\n')).toMatch(/^usage: pnpm latchkey <command> \[options\]\n/);
    for (const command of ['migrate', 'user:create', 'user:disable', 'team:create', 'team:add-member', 'token:create', 'token:list', 'token:revoke']) {
      expect(none.err.join('\n')).toContain(`  ${command}`);
    }
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.out.join('\n')).toMatch(/^usage: pnpm latchkey/);
  });

  it('names an unknown command and prints the usage', async () => {
    const result = await cli('token:steal', '--email', 'ops@example.com');
    expect(result.code).toBe(1);
    expect(result.out).toEqual([]);
    const lines = result.err.join('\n').split('\n');
    expect(lines[0]).toBe('latchkey: unknown command "token:steal"');
    expect(lines[1]).toBe('usage: pnpm latchkey <command> [options]');
  });

  it('names missing flags with the usage line of the command', async () => {
    const result = await cli('user:create', '--email', 'x@example.com');
    expect(result).toEqual({
      code: 1,
      out: [],
      err: ['latchkey: missing --name, --password\nusage: pnpm latchkey user:create --email <email> --name <name> --password <password>'],
    });
    const blank = await cli('user:disable', '--email', '   ');
    expect(blank.err[0]).toBe('latchkey: missing --email\nusage: pnpm latchkey user:disable --email <email>');
  });

  it('refuses unknown options, a flag without its value, and stray or missing arguments with the usage line', async () => {
    for (const argv of [
      ['user:disable', '--email', 'ops@example.com', '--force'],
      ['user:disable', '--email'],
      ['migrate', 'now'],
      ['token:revoke'],
      ['token:revoke', 'a', 'b'],
    ]) {
      const result = await cli(...argv);
      expect(result.code, argv.join(' ')).toBe(1);
      expect(result.out).toEqual([]);
      const lines = result.err.join('\n').split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^latchkey: /);
      expect(lines[1]).toBe(`usage: pnpm latchkey ${argv[0] === 'token:revoke' ? 'token:revoke <token>' : argv[0] === 'migrate' ? 'migrate' : 'user:disable --email <email>'}`);
    }
  });

  it('touches no database for a bad command line', async () => {
    const err: string[] = [];
    const missing = path.join(dir, 'never', 'created.db');
    expect(await runCli(['user:create'], { DATABASE_URL: missing }, () => {}, (l) => err.push(l))).toBe(1);
    expect(fs.existsSync(missing)).toBe(false);
  });
});

describe('as a child process', () => {
  it('`pnpm --silent latchkey token:create` writes only the token to stdout', async () => {
    const { stdout, stderr } = await promisify(execFile)('pnpm', ['--silent', 'latchkey', 'token:create', '--email', 'ops@example.com', '--name', 'from a script'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: dbFile },
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^api_[0-9A-Za-z]{36}\n$/);
    expect(stderr).toBe('');
    const check = await cli('token:revoke', stdout.trim());
    expect(check.code).toBe(0);
    expect(check.out[0]).toMatch(/\(from a script\)$/);
  });

  it('exits 1 with a one-line error on stderr and nothing on stdout', async () => {
    const result = await promisify(execFile)('pnpm', ['--silent', 'latchkey', 'user:disable', '--email', 'ghost@example.com'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: dbFile },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('latchkey: No user with that e-mail\n');
  });
});
