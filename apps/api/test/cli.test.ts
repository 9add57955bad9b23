// `latchkey …`: every command in-process through runCli on a temporary SQLite file, its exit
// codes and messages, and as real child processes: stdout holds only the token, errors are one line,
// the password comes from LATCHKEY_PASSWORD or standard input (unseen at a terminal), and the
// database is the same from any working directory.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_SCOPE_DESCRIPTIONS,
  BUILTIN_SCOPES,
  COMMON_PASSWORD_MESSAGE,
  createApiToken,
  createDatabase,
  EXPIRES_IN_VALUES,
  getUserByEmail,
  hashSecret,
  rotateApiToken,
  systemClock,
  TOKEN_REGEX,
  verifyUserCredentials,
  type CreatedApiToken,
} from '@latchkey/lib';
import { CLI_USAGE_NAME, runCli } from '../src/cli/run-cli';
import { startServer, type TestServer } from './support/server';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// tsx's loader by its full path, so a child started in a folder outside the repository still finds it.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let dir: string;
let dbFile: string;
let env: Record<string, string>;

type CliResult = { code: number; out: string[]; err: string[] };

const NO_TOKEN_TO_REVOKE =
  'token:revoke got no token: write the whole api_… value on standard input (one line), or give it as the argument';
const NOTHING_TO_CHECK =
  'token:check-format got nothing to check: write the string on standard input (one line), ' +
  'or give it as the argument';

async function cli(...argv: string[]): Promise<CliResult> {
  return cliWith({}, ...argv);
}

async function cliWith(extraEnv: Record<string, string>, ...argv: string[]): Promise<CliResult> {
  return cliFull({ env: extraEnv }, ...argv);
}

/** A command with `stdin` as its standard input (piped, not a terminal). */
async function cliStdin(stdin: string, ...argv: string[]): Promise<CliResult> {
  return cliFull({ stdin }, ...argv);
}

async function cliFull(
  options: { env?: Record<string, string>; stdin?: string },
  ...argv: string[]
): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { ...env, ...options.env },
    (line) => out.push(line),
    (line) => err.push(line),
    // Never the test runner's own stdin, which would not end.
    { stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]) },
  );
  return { code, out, err };
}

/** `user:create` with the password in LATCHKEY_PASSWORD, as a script would give it. */
function createUserCli(email: string, name: string, password: string): Promise<CliResult> {
  return cliWith({ LATCHKEY_PASSWORD: password }, 'user:create', '--email', email, '--name', name);
}

type ProcessResult = { code: number | null; stdout: string; stderr: string };

/** The command line as a real process (`node --import tsx …/cli/main.ts`), from `cwd`, with `stdin` written to it. */
function cliProcess(
  argv: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; stdin?: string } = {},
): Promise<ProcessResult> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, DATABASE_URL: dbFile, ...options.env })) {
    if (value !== undefined && key !== 'NODE_OPTIONS' && !key.startsWith('VITEST')) childEnv[key] = value;
  }
  const child = spawn(
    process.execPath,
    ['--import', TSX_LOADER, path.join(REPO_ROOT, 'apps/api/src/cli/main.ts'), ...argv],
    {
      cwd: options.cwd ?? REPO_ROOT,
      env: childEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** A failure: exit 1, nothing on stdout, and exactly one line on stderr, starting with `latchkey: `. */
function expectFailure(result: CliResult, message: string | RegExp) {
  expect(result.code).toBe(1);
  expect(result.out).toEqual([]);
  const lines = result.err.join('\n').split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    typeof message === 'string' ? new RegExp(`^latchkey: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message,
  );
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
    expect(
      await runCli(
        ['migrate'],
        { DATABASE_URL: `file:${other}` },
        (l) => out.push(l),
        () => {},
      ),
    ).toBe(0);
    expect(out).toEqual([expect.stringMatching(/^applied: 0001_initial(, \d{4}_\w+)+$/)]);
    expect(fs.existsSync(other)).toBe(true);
  });

  it('fails with one line for a DATABASE_URL it cannot use', async () => {
    const err: string[] = [];
    expect(
      await runCli(
        ['migrate'],
        { DATABASE_URL: 'mysql://localhost/x' },
        () => {},
        (l) => err.push(l),
      ),
    ).toBe(1);
    expect(err).toEqual([
      'latchkey: DATABASE_URL must be postgres://…, postgresql://…, file:<path> or a path to a SQLite file',
    ]);
  });
});

describe('user:create and user:disable', () => {
  it('creates a user', async () => {
    const result = await createUserCli('Ops@Example.com', 'Ops', 'operator password');
    expect(result.code).toBe(0);
    expect(result.out).toEqual([expect.stringMatching(/^created user \d+ <ops@example\.com>$/)]);
    expect(result.err).toEqual([]);
  });

  it('refuses --password with a message saying where the password goes, without echoing it', async () => {
    for (const argv of [
      ['user:create', '--email', 'pw@example.com', '--name', 'Pw', '--password', 'visible in ps'],
      ['user:create', '--email', 'pw@example.com', '--name', 'Pw', '--password=visible in ps'],
    ]) {
      const result = await cli(...argv);
      expectFailure(
        result,
        /^latchkey: --password is not accepted .*set LATCHKEY_PASSWORD or write the password on standard input$/,
      );
      expect(result.err.join('')).not.toContain('visible in ps');
    }
    expectFailure(await cli('user:disable', '--email', 'pw@example.com'), 'No user with that e-mail');
  });

  it('refuses a taken e-mail, a password under 10 characters and a common one with exit 1', async () => {
    expectFailure(
      await createUserCli('ops@example.com', 'Again', 'operator password'),
      'An account with this e-mail already exists',
    );
    expectFailure(
      await createUserCli('short@example.com', 'Short', 'short'),
      'Password must be at least 10 characters',
    );
    expectFailure(
      await createUserCli('short@example.com', 'Short', '12345678'),
      'Password must be at least 10 characters',
    );
    for (const common of ['1234567890', 'Qwertyuiop']) {
      expectFailure(await createUserCli('common@example.com', 'Common', common), COMMON_PASSWORD_MESSAGE);
    }
    expectFailure(await cli('user:disable', '--email', 'common@example.com'), 'No user with that e-mail');
  });

  it('disables a user; an unknown e-mail is exit 1', async () => {
    expect((await createUserCli('temp@example.com', 'Temp', 'temporary password')).code).toBe(0);
    const result = await cli('user:disable', '--email', 'TEMP@example.com');
    expect(result).toEqual({
      code: 0,
      out: ['disabled temp@example.com; their sessions and personal tokens no longer work'],
      err: [],
    });
    expectFailure(await cli('user:disable', '--email', 'ghost@example.com'), 'No user with that e-mail');
  });

  it('user:disable twice says the user already is, with exit 0 (the state a script asked for holds)', async () => {
    expect((await createUserCli('twice@example.com', 'Twice', 'twice password')).code).toBe(0);
    expect((await cli('user:disable', '--email', 'twice@example.com')).code).toBe(0);
    expect(await cli('user:disable', '--email', 'twice@example.com')).toEqual({
      code: 0,
      out: ['twice@example.com is already disabled; nothing changed'],
      err: [],
    });
  });

  it('token:create refuses a disabled user with one line and no token; user:enable lets it work again', async () => {
    expect((await createUserCli('paused@example.com', 'Paused', 'paused password')).code).toBe(0);
    expect((await cli('user:disable', '--email', 'paused@example.com')).code).toBe(0);
    expectFailure(
      await cli('token:create', '--email', 'paused@example.com', '--name', 'while disabled'),
      'This user is disabled, so no new token can be made for them',
    );
    expect(await cli('token:list', '--email', 'paused@example.com')).toEqual({ code: 0, out: ['no tokens'], err: [] });
    expect(await cli('user:enable', '--email', 'Paused@example.com')).toEqual({
      code: 0,
      out: ['enabled paused@example.com; they can sign in and use their personal tokens again'],
      err: [],
    });
    expect(await cli('user:enable', '--email', 'paused@example.com')).toEqual({
      code: 0,
      out: ['paused@example.com is not disabled; nothing changed'],
      err: [],
    });
    const created = await cli('token:create', '--email', 'paused@example.com', '--name', 'after return');
    expect(created.code).toBe(0);
    expect(created.out[0]).toMatch(TOKEN_REGEX);
    expectFailure(await cli('user:enable', '--email', 'ghost@example.com'), 'No user with that e-mail');
  });

  it('user:disable revokes the team tokens the user made and says how many', async () => {
    expect((await createUserCli('departing@example.com', 'Departing', 'departing password')).code).toBe(0);
    expect(
      (await cli('team:create', '--slug', 'departures', '--name', 'Departures', '--owner', 'departing@example.com'))
        .code,
    ).toBe(0);
    for (const name of ['departing deploy', 'departing ci']) {
      expect(
        (await cli('token:create', '--email', 'departing@example.com', '--team', 'departures', '--name', name)).code,
      ).toBe(0);
    }
    expect(await cli('user:disable', '--email', 'departing@example.com')).toEqual({
      code: 0,
      out: [
        'disabled departing@example.com; their sessions and personal tokens no longer work; ' +
          '2 team tokens they made were revoked',
      ],
      err: [],
    });
    expect(await cli('token:list', '--email', 'departing@example.com', '--team', 'departures')).toEqual({
      code: 0,
      out: ['no tokens'],
      err: [],
    });
  });

  it('token:create stops at TOKEN_MAX_PER_OWNER with one line, and names a bad value', async () => {
    expect((await createUserCli('capped@example.com', 'Capped', 'capped password')).code).toBe(0);
    const create = (name: string, max: string) =>
      cliWith({ TOKEN_MAX_PER_OWNER: max }, 'token:create', '--email', 'capped@example.com', '--name', name);
    expect((await create('first token', '1')).code).toBe(0);
    expectFailure(
      await create('second token', '1'),
      'You already have 1 token, the most one owner may have (1); ' +
        'delete tokens you no longer need (expired ones first) before making more',
    );
    expectFailure(
      await create('second token', 'none'),
      'TOKEN_MAX_PER_OWNER must be a whole number from 1 to 1000000000, got "none"',
    );
    expect((await create('second token', '2')).code).toBe(0);
  });
});

describe('team:create and team:add-member', () => {
  beforeAll(async () => {
    expect((await createUserCli('dev@example.com', 'Dev', 'developer password')).code).toBe(0);
  });

  it('creates a team with its owner as ADMIN', async () => {
    const result = await cli('team:create', '--slug', 'platform', '--name', 'Platform', '--owner', 'ops@example.com');
    expect(result.code).toBe(0);
    expect(result.out).toEqual([
      expect.stringMatching(/^created team \d+ \(platform\) with ops@example\.com as ADMIN$/),
    ]);
  });

  it('refuses an unknown owner and a taken slug', async () => {
    expectFailure(
      await cli('team:create', '--slug', 'nobody', '--name', 'Nobody', '--owner', 'ghost@example.com'),
      'No user with that e-mail',
    );
    expectFailure(
      await cli('team:create', '--slug', 'platform', '--name', 'Again', '--owner', 'ops@example.com'),
      'A team with this slug already exists',
    );
  });

  it('adds a member with a role, in any case', async () => {
    const result = await cli('team:add-member', '--team', 'platform', '--email', 'dev@example.com', '--role', 'member');
    expect(result).toEqual({ code: 0, out: ['added dev@example.com to platform as MEMBER'], err: [] });
  });

  it('refuses a bad role, an unknown team, an unknown user and a second membership', async () => {
    expectFailure(
      await cli('team:add-member', '--team', 'platform', '--email', 'ops@example.com', '--role', 'OWNER'),
      'Role must be ADMIN, MANAGER or MEMBER',
    );
    expectFailure(
      await cli('team:add-member', '--team', 'nope', '--email', 'dev@example.com', '--role', 'ADMIN'),
      'No team with that slug',
    );
    expectFailure(
      await cli('team:add-member', '--team', 'platform', '--email', 'ghost@example.com', '--role', 'ADMIN'),
      'No user with that e-mail; they need to sign up first',
    );
    expectFailure(
      await cli('team:add-member', '--team', 'platform', '--email', 'dev@example.com', '--role', 'ADMIN'),
      'That user is already a member of this team',
    );
  });
});

describe('team:set-policy', () => {
  const SLUG = 'policy-team';

  /** The team's stored policy and how many policy changes its audit log holds, read from the file. */
  async function stored() {
    const db = createDatabase(dbFile);
    try {
      const team = await db
        .selectFrom('teams')
        .select(['id', 'policy_max_lifetime_days', 'policy_allowed_scopes'])
        .where('slug', '=', SLUG)
        .executeTakeFirstOrThrow();
      const events = await db
        .selectFrom('audit_events')
        .select(['actor_kind', 'actor_id', 'details'])
        .where('team_id', '=', team.id)
        .where('type', '=', 'team.policy_updated')
        .orderBy('id')
        .execute();
      return { maxLifetimeDays: team.policy_max_lifetime_days, allowedScopes: team.policy_allowed_scopes, events };
    } finally {
      await db.destroy();
    }
  }

  beforeAll(async () => {
    expect((await createUserCli('policy-admin@example.com', 'Policy', 'policy password')).code).toBe(0);
    expect(
      (await cli('team:create', '--slug', SLUG, '--name', 'Policy', '--owner', 'policy-admin@example.com')).code,
    ).toBe(0);
  });

  it('sets the longest lifetime and scopes, audited with the command line; token:create then obeys it', async () => {
    const result = await cli(
      'team:set-policy',
      '--team',
      SLUG,
      '--max-lifetime-days',
      '30',
      '--allowed-scopes',
      'tokens:read, audit:read',
    );
    expect(result).toEqual({
      code: 0,
      out: [`set the token policy of ${SLUG}: tokens live at most 30 days; scopes allowed: tokens:read,audit:read`],
      err: [],
    });
    const after = await stored();
    expect(after).toMatchObject({ maxLifetimeDays: 30, allowedScopes: '["tokens:read","audit:read"]' });
    expect(after.events.map((e) => [e.actor_kind, e.actor_id])).toEqual([['cli', null]]);
    expect(JSON.parse(after.events[0]!.details)).toEqual({
      before: { maxLifetimeDays: null, allowedScopes: null },
      after: { maxLifetimeDays: 30, allowedScopes: ['tokens:read', 'audit:read'] },
    });

    const make = (...extra: string[]) =>
      cli('token:create', '--email', 'policy-admin@example.com', '--team', SLUG, '--name', 'policy bot', ...extra);
    expectFailure(await make('--expires-in', 'THREE_MONTHS'), /at most 30 days/);
    expectFailure(await make('--expires-in', 'SEVEN_DAYS', '--scopes', 'tokens:write'), /tokens:write/);
    const made = await make('--expires-in', 'SEVEN_DAYS', '--scopes', 'tokens:read');
    expect(made.code).toBe(0);
    expect(made.out[0]).toMatch(TOKEN_REGEX);
    const audit = await cli(
      'audit:list',
      '--email',
      'policy-admin@example.com',
      '--team',
      SLUG,
      '--type',
      'team.policy_updated',
    );
    expect(audit.out.slice(1)).toEqual([expect.stringMatching(/\tteam\.policy_updated\tcli\t/)]);
  });

  it('lifts one limit and keeps the other; what is not given stays', async () => {
    expect(await cli('team:set-policy', '--team', SLUG, '--no-max-lifetime')).toEqual({
      code: 0,
      out: [`set the token policy of ${SLUG}: no lifetime limit; scopes allowed: tokens:read,audit:read`],
      err: [],
    });
    expect(await cli('team:set-policy', '--team', SLUG, '--all-scopes', '--max-lifetime-days', '1')).toEqual({
      code: 0,
      out: [`set the token policy of ${SLUG}: tokens live at most 1 day; every scope allowed`],
      err: [],
    });
    expect(await stored()).toMatchObject({ maxLifetimeDays: 1, allowedScopes: null });
    expect((await cli('team:set-policy', '--team', SLUG, '--max-lifetime-days', '365', '--all-scopes')).code).toBe(0);
    expect(await stored()).toMatchObject({ maxLifetimeDays: 365, allowedScopes: null });
  });

  it('refuses bad input with one line each and changes nothing stored', async () => {
    expect(
      (await cli('team:set-policy', '--team', SLUG, '--max-lifetime-days', '90', '--allowed-scopes', 'tokens:read'))
        .code,
    ).toBe(0);
    const before = await stored();
    for (const [argv, message] of [
      [['--max-lifetime-days', '0'], 'maxLifetimeDays must be at least 1 day'],
      [['--max-lifetime-days', '366'], 'maxLifetimeDays must be at most 365 days'],
      [['--max-lifetime-days', 'a month'], '--max-lifetime-days must be a whole number of days, got "a month"'],
      [['--max-lifetime-days', '-5'], '--max-lifetime-days must be a whole number of days, got "-5"'],
      [
        ['--allowed-scopes', 'tokens:read,billing:write'],
        /^latchkey: Unknown scope: billing:write; known: tokens:read, /,
      ],
      [['--allowed-scopes', ' , '], '--allowed-scopes needs at least one scope (--all-scopes lifts the scope limit)'],
      [['--allowed-scopes', ''], '--allowed-scopes needs at least one scope (--all-scopes lifts the scope limit)'],
      [
        ['--max-lifetime-days', '30', '--no-max-lifetime'],
        "option '--max-lifetime-days <days>' cannot be used with option '--no-max-lifetime'",
      ],
      [
        ['--all-scopes', '--allowed-scopes', 'tokens:read'],
        "option '--allowed-scopes <scopes>' cannot be used with option '--all-scopes'",
      ],
      [[], /^latchkey: team:set-policy needs something to set: --max-lifetime-days <days> or --no-max-lifetime/],
      [['--max-lifetime-days'], "option '--max-lifetime-days <days>' argument missing"],
    ] as const) {
      expectFailure(await cli('team:set-policy', '--team', SLUG, ...argv), message);
    }
    expectFailure(await cli('team:set-policy', '--team', 'no-such-team', '--all-scopes'), 'No team with that slug');
    expectFailure(await cli('team:set-policy', '--all-scopes'), "required option '--team <slug>' not specified");
    expectFailure(await cli('team:set-policy', '--team', ' ', '--all-scopes'), '--team must not be blank');
    expect(await stored()).toEqual(before);
    expect(before).toMatchObject({ maxLifetimeDays: 90, allowedScopes: '["tokens:read"]' });
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
    expect(me.body.token).toMatchObject({
      name: 'deploy bot',
      scopes: ['tokens:read', 'tokens:write', 'audit:read'],
      expiresAt: null,
    });
    expect(me.body.user.email).toBe('ops@example.com');
    const created = await server.db
      .selectFrom('audit_events')
      .selectAll()
      .where('type', '=', 'token.created')
      .where('token_id', '=', me.body.token.id)
      .execute();
    expect(created.map((e) => e.actor_kind)).toEqual(['cli']);
  });

  it('makes a team token with an expiry and scopes', async () => {
    const result = await cli(
      'token:create',
      '--email',
      'ops@example.com',
      '--team',
      'platform',
      '--name',
      'team reader',
      '--expires-in',
      'ONE_MONTH',
      '--scopes',
      'tokens:read, tokens:read',
    );
    expect(result.code).toBe(0);
    server.remember(result.out[0]!);
    const me = await server.api('GET', '/api/v1/me', { token: result.out[0] });
    expect(me.body.team).toMatchObject({ slug: 'platform' });
    expect(me.body.token.scopes).toEqual(['tokens:read']);
    const days = (Date.parse(me.body.token.expiresAt) - Date.parse(me.body.token.createdAt)) / 86_400_000;
    expect(days).toBe(30);
  });

  it('refuses an unknown --expires-in, an unknown scope, a non-admin on a team, and prints no token', async () => {
    expectFailure(
      await cli('token:create', '--email', 'ops@example.com', '--name', 'bad', '--expires-in', 'FOREVER'),
      `--expires-in must be one of ${EXPIRES_IN_VALUES.join(', ')}, got "FOREVER"`,
    );
    expectFailure(
      await cli('token:create', '--email', 'ops@example.com', '--name', 'bad', '--scopes', 'invoices:read'),
      'Unknown scope: invoices:read',
    );
    expectFailure(
      await cli('token:create', '--email', 'dev@example.com', '--team', 'platform', '--name', 'bad'),
      'You need to be a team admin to manage API tokens',
    );
    expectFailure(
      await cli('token:create', '--email', 'ghost@example.com', '--name', 'bad'),
      'No user with that e-mail',
    );
  });

  it('takes the product scopes of TOKEN_SCOPES: token:create --scopes, team:set-policy and --help', async () => {
    const file = path.join(dir, 'scopes.json');
    fs.writeFileSync(file, JSON.stringify({ 'invoices:read': 'Read invoices' }));
    const product = { TOKEN_SCOPES: 'invoices:read,documents:write', TOKEN_SCOPES_FILE: file };
    const known = [...BUILTIN_SCOPES, 'invoices:read', 'documents:write'];
    const create = (name: string, ...more: string[]) =>
      cliWith(product, 'token:create', '--email', 'scopes@example.com', '--name', name, ...more);
    expect((await createUserCli('scopes@example.com', 'Scopes', 'scopes password')).code).toBe(0);
    const scopesOf = async (result: CliResult) => {
      expect(result).toMatchObject({ code: 0, err: [] });
      server.remember(result.out[0]!);
      return (await server.api('GET', '/api/v1/me', { token: result.out[0] })).body.token.scopes as string[];
    };

    expect(await scopesOf(await create('invoice reader', '--scopes', 'invoices:read'))).toEqual(['invoices:read']);
    expect(await scopesOf(await create('everything'))).toEqual(known);
    expectFailure(await create('typo', '--scopes', 'invoices:read,invoice:write'), 'Unknown scope: invoice:write');
    // The same declaration wrong: the command stops on it, as the server would.
    expectFailure(
      await cliWith(
        { TOKEN_SCOPES: 'invoices:read,tokens:read' },
        'token:create',
        '--email',
        'scopes@example.com',
        '--name',
        'bad declaration',
      ),
      'TOKEN_SCOPES: "tokens:read" is a built-in scope; the product\'s own scopes need names of their own',
    );

    // A team policy may name them.
    expect(
      (await cliWith(product, 'team:create', '--slug', 'billing', '--name', 'Billing', '--owner', 'scopes@example.com'))
        .code,
    ).toBe(0);
    expect(
      await cliWith(product, 'team:set-policy', '--team', 'billing', '--allowed-scopes', 'invoices:read'),
    ).toMatchObject({
      code: 0,
      out: ['set the token policy of billing: no lifetime limit; scopes allowed: invoices:read'],
    });
    expect(await scopesOf(await create('team default', '--team', 'billing'))).toEqual(['invoices:read']);
    expectFailure(
      await cliWith({}, 'team:set-policy', '--team', 'billing', '--allowed-scopes', 'invoices:read'),
      /^latchkey: Unknown scope: invoices:read; known: tokens:read, tokens:write, audit:read$/,
    );

    // --help lists them, with what each is for; token:create --help names them.
    const help = (await cliWith(product, '--help')).out.join('\n');
    expect(help).toContain(
      [
        "Scopes (--scopes, comma-separated; omitted: all of them; the product's own from TOKEN_SCOPES):",
        '  tokens:read      List tokens and read their details and usage',
        '  tokens:write     Create, rotate and delete tokens',
        '  audit:read       Read the audit log',
        '  invoices:read    Read invoices',
        '  documents:write',
        'Database:',
      ].join('\n'),
    );
    const own = (await cliWith(product, 'token:create', '--help')).out.join('\n').replace(/\s+/g, ' ');
    expect(own).toContain(`--scopes <scopes> comma-separated scopes from ${known.join(', ')} (omitted: all of them)`);
  });

  it("lists a user's tokens, or a team's, as a table", async () => {
    const personal = await cli('token:list', '--email', 'ops@example.com');
    expect(personal.code).toBe(0);
    expect(personal.out[0]).toBe('ID\tNAME\tSTART\tSTATUS\tEXPIRES\tLAST USED\tSCOPES');
    expect(personal.out.slice(1).map((line) => line.split('\t')[1])).toEqual(['deploy bot']);
    expect(personal.out[1]).toMatch(
      /^\d+\tdeploy bot\tapi_[0-9A-Za-z]{4}…\tactive\tnever\t(never|\S+)\ttokens:read,tokens:write,audit:read$/,
    );
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

  it('token:revoke with no argument, or with -, reads the token from one line of standard input, trimmed', async () => {
    const tokens: string[] = [];
    for (const name of ['piped', 'dashed']) {
      const token = (await cli('token:create', '--email', 'dev@example.com', '--name', name)).out[0]!;
      server.remember(token);
      expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
      tokens.push(token);
    }
    const [piped, dashed] = tokens as [string, string];
    const fromStdin = await cliStdin(`  ${piped}  \n`, 'token:revoke');
    expect(fromStdin).toEqual({ code: 0, out: [expect.stringMatching(/^revoked token \d+ \(piped\)$/)], err: [] });
    const fromDash = await cliStdin(`${dashed}\r\nnot read\n`, 'token:revoke', '-');
    expect(fromDash).toEqual({ code: 0, out: [expect.stringMatching(/^revoked token \d+ \(dashed\)$/)], err: [] });
    for (const token of tokens) expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(401);
    // The token is never repeated in what the command prints.
    expect(JSON.stringify([fromStdin, fromDash])).not.toMatch(/api_[0-9A-Za-z]{36}/);
  });

  it("stops a disabled user's personal tokens from working", async () => {
    expect((await createUserCli('leaver@example.com', 'Leaver', 'leaver password')).code).toBe(0);
    const token = (await cli('token:create', '--email', 'leaver@example.com', '--name', 'leaver token')).out[0]!;
    server.remember(token);
    expect((await server.api('GET', '/api/v1/me', { token })).status).toBe(200);
    expect((await cli('user:disable', '--email', 'leaver@example.com')).code).toBe(0);
    const res = await server.api('GET', '/api/v1/me', { token });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
  });

  it('stores no plain token in the database file and logs none', () => {
    const tokens = [...server.secrets].filter((s) => TOKEN_REGEX.test(s));
    expect(tokens.length).toBeGreaterThanOrEqual(4);
    const file =
      fs.readFileSync(dbFile).toString('latin1') +
      (fs.existsSync(`${dbFile}-wal`) ? fs.readFileSync(`${dbFile}-wal`).toString('latin1') : '');
    for (const token of tokens) expect(file).not.toContain(token);
    expect(file).toContain(hashSecret(tokens[0]!));
    expect(server.leakedSecrets()).toEqual([]);
  });
});

describe('bad command lines', () => {
  it('without a command: one line pointing to --help, exit 1', async () => {
    expect(await cli()).toEqual({
      code: 1,
      out: [],
      err: [`latchkey: no command given; run ${CLI_USAGE_NAME} --help for the list`],
    });
  });

  it('--help lists every command by its README name, the expiry values, scopes and database; exit 0', async () => {
    expect(CLI_USAGE_NAME).toBe('npx -y pnpm@10 -s latchkey');
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`${CLI_USAGE_NAME} token:create`);
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.err).toEqual([]);
    const text = help.out.join('\n');
    expect(text).toMatch(/^Usage: npx -y pnpm@10 -s latchkey /);
    for (const command of [
      'migrate',
      'user:create',
      'user:disable',
      'user:enable',
      'team:create',
      'team:add-member',
      'team:set-policy',
      'token:create',
      'token:list',
      'token:revoke',
    ]) {
      expect(text).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(text).toContain(`Expiry values (--expires-in): ${EXPIRES_IN_VALUES.join(', ')}`);
    expect(text).toContain(
      "Scopes (--scopes, comma-separated; omitted: all of them; the product's own from TOKEN_SCOPES):\n" +
        BUILTIN_SCOPES.map((scope) => `  ${scope.padEnd(12)}  ${BUILTIN_SCOPE_DESCRIPTIONS[scope]}`).join('\n'),
    );
    expect(text).toContain(`Database: SQLite file ${dbFile}`);
    expect(text).not.toMatch(/pnpm latchkey/);
  });

  it('token:create --help lists every expiry value and scope; every command has its own help', async () => {
    const help = await cli('token:create', '--help');
    expect(help.code).toBe(0);
    const text = help.out.join('\n').replace(/\s+/g, ' ');
    expect(text).toMatch(/^Usage: npx -y pnpm@10 -s latchkey token:create /);
    for (const value of [...EXPIRES_IN_VALUES, ...BUILTIN_SCOPES]) expect(text).toContain(value);
    for (const command of [
      'migrate',
      'user:create',
      'user:disable',
      'user:enable',
      'team:create',
      'team:add-member',
      'team:set-policy',
      'token:list',
      'token:revoke',
    ]) {
      const own = await cli(command, '--help');
      expect(own.code, command).toBe(0);
      expect(own.out.join('\n')).toMatch(new RegExp(`^Usage: npx -y pnpm@10 -s latchkey ${command}`));
    }
  });

  it('names an unknown command in one line that points to --help', async () => {
    expect(await cli('token:steal', '--email', 'ops@example.com')).toEqual({
      code: 1,
      out: [],
      err: [`latchkey: unknown command "token:steal"; run ${CLI_USAGE_NAME} --help for the list`],
    });
  });

  it('names a missing or blank option in one line', async () => {
    expectFailure(await cli('team:create', '--slug', 'x-team'), "required option '--name <name>' not specified");
    expectFailure(await cli('user:disable', '--email', '   '), '--email must not be blank');
  });

  it('token:revoke with no token on standard input (nothing, blanks, an empty line) says so in one line', async () => {
    for (const [stdin, argv] of [
      ['', ['token:revoke']],
      ['\n', ['token:revoke']],
      ['   \n', ['token:revoke', '-']],
      ['\napi_second_line\n', ['token:revoke']],
      ['', ['token:revoke', '  ']],
    ] as const) {
      expectFailure(await cliStdin(stdin, ...argv), NO_TOKEN_TO_REVOKE);
    }
  });

  it('refuses unknown options, a flag without its value, and stray arguments, each in one line', async () => {
    for (const [argv, message] of [
      [['user:disable', '--email', 'ops@example.com', '--force'], "unknown option '--force'"],
      [['user:disable', '--email'], "option '--email <email>' argument missing"],
      [['migrate', 'now'], /^latchkey: too many arguments for 'migrate'/],
      [['token:revoke', 'a', 'b'], /^latchkey: too many arguments for 'token:revoke'/],
    ] as const) {
      expectFailure(await cli(...argv), message);
    }
  });

  it('touches no database for a bad command line', async () => {
    const err: string[] = [];
    const missing = path.join(dir, 'never', 'created.db');
    expect(
      await runCli(
        ['user:create'],
        { DATABASE_URL: missing },
        () => {},
        (l) => err.push(l),
      ),
    ).toBe(1);
    expect(
      await runCli(
        ['token:revoke'],
        { DATABASE_URL: missing },
        () => {},
        (l) => err.push(l),
        { stdin: Readable.from([]) },
      ),
    ).toBe(1);
    expect(
      await runCli(
        ['--help'],
        { DATABASE_URL: missing },
        () => {},
        () => {},
      ),
    ).toBe(0);
    expect(fs.existsSync(missing)).toBe(false);
  });
});

describe('as a child process', () => {
  it('`pnpm --silent latchkey token:create` writes only the token to stdout', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      'pnpm',
      ['--silent', 'latchkey', 'token:create', '--email', 'ops@example.com', '--name', 'from a script'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, DATABASE_URL: dbFile },
        timeout: 60_000,
      },
    );
    expect(stdout).toMatch(/^api_[0-9A-Za-z]{36}\n$/);
    expect(stderr).toBe('');
    const check = await cli('token:revoke', stdout.trim());
    expect(check.code).toBe(0);
    expect(check.out[0]).toMatch(/\(from a script\)$/);
  });

  it('`pnpm -s -C <repository> latchkey` works outside the repository and inside a workspace package', async () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-pnpm-elsewhere-'));
    try {
      for (const cwd of [elsewhere, path.join(REPO_ROOT, 'apps', 'web')]) {
        const { stdout, stderr } = await promisify(execFile)(
          'pnpm',
          ['--silent', '-C', REPO_ROOT, 'latchkey', 'token:list', '--email', 'ops@example.com'],
          { cwd, env: { ...process.env, DATABASE_URL: dbFile }, timeout: 60_000 },
        );
        expect(stderr, cwd).toBe('');
        expect(stdout.split('\n')[0], cwd).toBe('ID\tNAME\tSTART\tSTATUS\tEXPIRES\tLAST USED\tSCOPES');
      }
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('exits 1 with a one-line error on stderr, nothing on stdout, for a failure and an unknown command', async () => {
    expect(await cliProcess(['user:disable', '--email', 'ghost@example.com'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'latchkey: No user with that e-mail\n',
    });
    expect(await cliProcess(['nope'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `latchkey: unknown command "nope"; run ${CLI_USAGE_NAME} --help for the list\n`,
    });
  });

  it('user:create reads the password from LATCHKEY_PASSWORD, or else from one line of standard input', async () => {
    const fromEnv = await cliProcess(['user:create', '--email', 'env@example.com', '--name', 'Env'], {
      env: { LATCHKEY_PASSWORD: 'password from env' },
    });
    expect(fromEnv).toMatchObject({ code: 0, stderr: '' });
    const piped = await cliProcess(['user:create', '--email', 'piped@example.com', '--name', 'Piped'], {
      env: { LATCHKEY_PASSWORD: undefined },
      stdin: 'password from stdin\nsecond line\n',
    });
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    expect(piped.stdout).toMatch(/^created user \d+ <piped@example\.com>\n$/);
    const db = createDatabase(dbFile);
    try {
      expect(
        (
          await verifyUserCredentials({
            clock: systemClock,
            db,
            email: 'env@example.com',
            password: 'password from env',
          })
        ).email,
      ).toBe('env@example.com');
      expect(
        (
          await verifyUserCredentials({
            clock: systemClock,
            db,
            email: 'piped@example.com',
            password: 'password from stdin',
          })
        ).email,
      ).toBe('piped@example.com');
    } finally {
      await db.destroy();
    }
    const none = await cliProcess(['user:create', '--email', 'none@example.com', '--name', 'None'], {
      env: { LATCHKEY_PASSWORD: undefined },
      stdin: '',
    });
    expect(none).toEqual({
      code: 1,
      stdout: '',
      stderr: 'latchkey: no password given: set LATCHKEY_PASSWORD or write it on standard input (one line)\n',
    });
  });

  it('at a terminal, user:create asks for the password and does not show what is typed', async () => {
    const password = `typed-${Math.random().toString(36).slice(2)}`;
    const cliMain = path.join(REPO_ROOT, 'apps/api/src/cli/main.ts');
    const args = 'user:create --email tty@example.com --name Tty';
    const command = `${process.execPath} --import ${TSX_LOADER} ${cliMain} ${args}`;
    const childEnv: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, DATABASE_URL: dbFile })) {
      if (value !== undefined && key !== 'NODE_OPTIONS' && key !== 'LATCHKEY_PASSWORD' && !key.startsWith('VITEST'))
        childEnv[key] = value;
    }
    // `script` gives the command a pseudo-terminal; what it prints is what a person would see.
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: childEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        screen += chunk.toString();
        if (screen.includes('Password (not shown): ')) resolve();
      });
    });
    child.stdin.write(`${password}\r`);
    const code = await closed;
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(screen).toMatch(/created user \d+ <tty@example\.com>/);
    expect(screen).not.toContain(password);
    const db = createDatabase(dbFile);
    try {
      expect((await verifyUserCredentials({ clock: systemClock, db, email: 'tty@example.com', password })).email).toBe(
        'tty@example.com',
      );
    } finally {
      await db.destroy();
    }
  });

  it('token:revoke reads a piped token, and at a terminal asks for it without showing it', async () => {
    const made: string[] = [];
    for (const name of ['piped in a process', 'typed at a terminal']) {
      const token = (await cli('token:create', '--email', 'ops@example.com', '--name', name)).out[0]!;
      expect(token).toMatch(TOKEN_REGEX);
      made.push(token);
    }
    const [piped, typed] = made as [string, string];
    const fromPipe = await cliProcess(['token:revoke'], { stdin: `${piped}\n` });
    expect(fromPipe).toEqual({ code: 0, stdout: expect.stringMatching(/\(piped in a process\)\n$/), stderr: '' });

    const cliMain = path.join(REPO_ROOT, 'apps/api/src/cli/main.ts');
    const command = `${process.execPath} --import ${TSX_LOADER} ${cliMain} token:revoke`;
    const childEnv: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, DATABASE_URL: dbFile })) {
      if (value !== undefined && key !== 'NODE_OPTIONS' && !key.startsWith('VITEST')) childEnv[key] = value;
    }
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: childEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        screen += chunk.toString();
        if (screen.includes('Token (not shown): ')) resolve();
      });
    });
    child.stdin.write(`${typed}\r`);
    const code = await closed;
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(screen).toMatch(/revoked token \d+ \(typed at a terminal\)/);
    expect(screen).not.toContain(typed);
    const left = await cli('token:list', '--email', 'ops@example.com');
    expect(left.out.join('\n')).not.toMatch(/piped in a process|typed at a terminal/);
  });

  it('uses one database from any directory: relative paths and the default start at the project root', async () => {
    const relative = path.join('apps', 'api', `.cli-test-${process.pid}`, 'relative.db');
    const absolute = path.join(REPO_ROOT, relative);
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-elsewhere-'));
    try {
      const created = await cliProcess(['user:create', '--email', 'rel@example.com', '--name', 'Rel'], {
        cwd: elsewhere,
        env: { DATABASE_URL: relative, LATCHKEY_PASSWORD: 'relative password', INIT_CWD: elsewhere },
      });
      expect(created).toMatchObject({ code: 0, stderr: '' });
      expect(fs.existsSync(absolute)).toBe(true);
      expect(fs.existsSync(path.join(elsewhere, relative))).toBe(false);
      // From another folder again, the user is there: one database, not a new empty one.
      const token = await cliProcess(['token:create', '--email', 'rel@example.com', '--name', 'same db'], {
        cwd: path.join(REPO_ROOT, 'apps'),
        env: { DATABASE_URL: relative },
      });
      expect(token).toMatchObject({ code: 0, stderr: '' });
      expect(token.stdout).toMatch(/^api_[0-9A-Za-z]{36}\n$/);
      // The default names data/latchkey.db under the project root; --help says so without opening it.
      const help = await cliProcess(['--help'], { cwd: elsewhere, env: { DATABASE_URL: undefined } });
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Database: SQLite file ${path.join(REPO_ROOT, 'data', 'latchkey.db')}`);
      const postgres = await cliProcess(['--help'], {
        env: { DATABASE_URL: 'postgres://app:hunter2-secret@db.internal:5432/latchkey' },
      });
      expect(postgres.stdout).toContain('Database: PostgreSQL database latchkey on db.internal:5432');
      expect(postgres.stdout).not.toContain('hunter2');
    } finally {
      fs.rmSync(path.dirname(absolute), { recursive: true, force: true });
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('what a new user tripped over (issue 14), each in a real process', () => {
  /** One line on stderr, `latchkey: ` + `message`, exit 1, nothing on stdout. */
  function expectOneLineFailure(result: ProcessResult, message: string) {
    expect(result).toEqual({ code: 1, stdout: '', stderr: `latchkey: ${message}\n` });
  }

  it('user:disable twice says it already is; token:create then refuses the user; user:enable undoes it', async () => {
    const password = { LATCHKEY_PASSWORD: 'process password' };
    const email = 'process-paused@example.com';
    expect(await cliProcess(['user:create', '--email', email, '--name', 'Paused'], { env: password })).toMatchObject({
      code: 0,
      stderr: '',
    });
    expect(await cliProcess(['user:disable', '--email', email])).toEqual({
      code: 0,
      stdout: `disabled ${email}; their sessions and personal tokens no longer work\n`,
      stderr: '',
    });
    expect(await cliProcess(['user:disable', '--email', email])).toEqual({
      code: 0,
      stdout: `${email} is already disabled; nothing changed\n`,
      stderr: '',
    });
    expectOneLineFailure(
      await cliProcess(['token:create', '--email', email, '--name', 'while disabled']),
      'This user is disabled, so no new token can be made for them',
    );
    expect((await cliProcess(['token:list', '--email', email])).stdout).toBe('no tokens\n');
    expect(await cliProcess(['user:enable', '--email', email])).toEqual({
      code: 0,
      stdout: `enabled ${email}; they can sign in and use their personal tokens again\n`,
      stderr: '',
    });
    const created = await cliProcess(['token:create', '--email', email, '--name', 'after return']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^api_[0-9A-Za-z]{36}\n$/);
  });

  it('bad command lines get one line each, never the usage; token:revoke with nothing piped says so', async () => {
    expectOneLineFailure(await cliProcess(['token:revoke']), NO_TOKEN_TO_REVOKE);
    expectOneLineFailure(
      await cliProcess(['team:create', '--slug', 'x-team']),
      "required option '--name <name>' not specified",
    );
    expectOneLineFailure(await cliProcess(['user:disable', '--email']), "option '--email <email>' argument missing");
    expectOneLineFailure(
      await cliProcess(['user:disable', '--email', 'ops@example.com', '--force']),
      "unknown option '--force'",
    );
    expectOneLineFailure(
      await cliProcess(['token:create', '--email', 'ops@example.com', '--name', 'bad', '--expires-in', 'forever']),
      `--expires-in must be one of ${EXPIRES_IN_VALUES.join(', ')}, got "forever"`,
    );
    expectOneLineFailure(
      await cliProcess(['token:stael', '--email', 'ops@example.com']),
      `unknown command "token:stael"; run ${CLI_USAGE_NAME} --help for the list`,
    );
  });

  it('--help names the command as the README does, and lists the expiry values, scopes and database', async () => {
    const help = await cliProcess(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: npx -y pnpm@10 -s latchkey /);
    expect(help.stdout).not.toMatch(/pnpm latchkey/);
    for (const value of [...EXPIRES_IN_VALUES, ...BUILTIN_SCOPES]) expect(help.stdout).toContain(value);
    expect(help.stdout).toContain(`Database: SQLite file ${dbFile}`);
  });

  it('token:list shows a token in its grace period as retiring, with when it stops, not as active', async () => {
    expect((await createUserCli('twins@example.com', 'Twins', 'twins password')).code).toBe(0);
    const db = createDatabase(dbFile);
    let old: CreatedApiToken;
    let stopsAt: Date;
    try {
      const user = await getUserByEmail({ db, email: 'twins@example.com' });
      old = await createApiToken({ db, clock: systemClock, userId: user.id, name: 'twin', expiresIn: 'NEVER' });
      const rotated = await rotateApiToken({
        db,
        clock: systemClock,
        userId: user.id,
        id: old.id,
        gracePeriodSeconds: 3600,
      });
      stopsAt = rotated.previousTokenStopsAt;
    } finally {
      await db.destroy();
    }
    const listed = await cliProcess(['token:list', '--email', 'twins@example.com']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const twins = listed.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
      .filter((columns) => columns[1] === 'twin')
      .map((columns) => [Number(columns[0]), columns[3], columns[4]]);
    expect(twins).toEqual([
      [expect.any(Number), 'active', 'never'],
      [old.id, 'retiring', stopsAt.toISOString()],
    ]);
  });
});

describe('token:check-format, token:usage, audit:list and --allowed-ips', () => {
  it('token:check-format exits 0 for a well-formed token and 1 for anything else, without a database', async () => {
    const { generateApiToken } = await import('@latchkey/lib');
    const good = generateApiToken();
    const noDb = { DATABASE_URL: path.join(dir, 'never-created', 'x.db') };
    expect(await cliWith(noDb, 'token:check-format', good)).toEqual({
      code: 0,
      out: [expect.stringMatching(/^well-formed/)],
      err: [],
    });
    const badChecksum = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    for (const bad of [badChecksum, 'api_short', 'hello']) {
      const result = await cliWith(noDb, 'token:check-format', bad);
      expect(result.code, bad).toBe(1);
      expect(result.err).toEqual([expect.stringMatching(/^latchkey: not a well-formed Latchkey token/)]);
    }
    expect(fs.existsSync(path.join(dir, 'never-created'))).toBe(false);
  });

  it('token:check-format with no argument, or with -, checks one line of standard input', async () => {
    const { generateApiToken } = await import('@latchkey/lib');
    const good = generateApiToken();
    const noDb = { DATABASE_URL: path.join(dir, 'never-created', 'x.db') };
    for (const argv of [['token:check-format'], ['token:check-format', '-']]) {
      expect(await cliFull({ env: noDb, stdin: ` ${good}\n` }, ...argv)).toEqual({
        code: 0,
        out: [expect.stringMatching(/^well-formed/)],
        err: [],
      });
      const bad = await cliFull({ env: noDb, stdin: 'api_short\n' }, ...argv);
      expectFailure(bad, /^latchkey: not a well-formed Latchkey token/);
      expectFailure(await cliFull({ env: noDb, stdin: '  \n' }, ...argv), NOTHING_TO_CHECK);
    }
    expect(fs.existsSync(path.join(dir, 'never-created'))).toBe(false);
  });

  it('token:create --allowed-ips keeps the addresses, and refuses a bad one naming it', async () => {
    expect((await createUserCli('ips@example.com', 'Ips', 'correct horse battery')).code).toBe(0);
    const made = await cli(
      'token:create',
      '--email',
      'ips@example.com',
      '--name',
      'office only',
      '--allowed-ips',
      '10.0.0.0/8, 192.168.1.7',
    );
    expect(made.code).toBe(0);
    const bad = await cli(
      'token:create',
      '--email',
      'ips@example.com',
      '--name',
      'bad range',
      '--allowed-ips',
      '10.0.0.0/33',
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toEqual([expect.stringContaining('10.0.0.0/33')]);
  });

  it('token:usage prints the totals and one row per day, and audit:list the events newest first', async () => {
    expect((await createUserCli('usage@example.com', 'Usage', 'correct horse battery')).code).toBe(0);
    expect((await cli('token:create', '--email', 'usage@example.com', '--name', 'counted')).code).toBe(0);
    const usage = await cli('token:usage', '--email', 'usage@example.com', '--name', 'counted', '--days', '3');
    expect(usage.code).toBe(0);
    expect(usage.out[0]).toBe('counted: 0 requests, 0 failed, in 3 days');
    expect(usage.out[1]).toBe('DAY\tREQUESTS\tFAILED');
    expect(usage.out.length).toBeGreaterThanOrEqual(5);

    const audit = await cli('audit:list', '--email', 'usage@example.com', '--type', 'token.created', '--limit', '5');
    expect(audit.code).toBe(0);
    expect(audit.out[0]).toBe('TIME\tTYPE\tACTOR\tTOKEN\tIP');
    expect(audit.out.slice(1)).toEqual([expect.stringMatching(/\ttoken\.created\tcli/)]);
  });

  it('refuses bad --days, --limit and names with one line each', async () => {
    expect((await createUserCli('bad-opts@example.com', 'Bad', 'correct horse battery')).code).toBe(0);
    for (const argv of [
      ['token:usage', '--email', 'bad-opts@example.com', '--name', 'x', '--days', '0'],
      ['token:usage', '--email', 'bad-opts@example.com', '--name', 'x', '--days', 'week'],
      ['token:usage', '--email', 'bad-opts@example.com', '--name', 'nothing by this name'],
      ['audit:list', '--email', 'bad-opts@example.com', '--limit', '101'],
      ['audit:list', '--email', 'bad-opts@example.com', '--type', 'no.such.type'],
    ]) {
      const result = await cli(...argv);
      expect(result.code, argv.join(' ')).toBe(1);
      expect(result.err, argv.join(' ')).toHaveLength(1);
      expect(result.out).toEqual([]);
    }
  });
});
