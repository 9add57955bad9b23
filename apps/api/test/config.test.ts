// The environment is read once at start; a bad value is refused with a one-line message naming it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_SCOPE_DESCRIPTIONS, BUILTIN_SCOPES, createScopeSet } from '@latchkey/lib';
import { ENV_VARIABLES, loadConfig } from '../src/config';
import { renderConfigurationTable, withCurrentTable } from '../src/configuration-docs';
import { PROJECT_ROOT } from '../src/project-root';

const run = promisify(execFile);

describe('configuration from the environment', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.trustProxy).toBe(false);
    expect(config.logLevel).toBe('info');
    expect(config.allowSignup).toBe(true);
    expect(config.publicUrl).toBeNull();
    expect(config.tokenCacheSize).toBe(100_000);
    expect(config.usageRetentionDays).toBe(90);
    expect(config.usageRecording).toBe(true);
    expect(config.auditRetentionDays).toBe(365);
    expect(config.tokenMaxLifetimeDays).toBeNull();
    expect(config.rateLimits).toEqual({
      credentialRevokePerHour: 60,
      ipPerMinute: 1000,
      ownerPerMinute: 1000,
      authFailuresPerMinute: 30,
      trpcPerMinute: 100,
      signInFailures: 10,
      signInFailuresPerAccount: 50,
      servicePerMinute: 60_000,
    });
    expect(config.scopes).toEqual(createScopeSet());
  });

  it('reads valid values', () => {
    const config = loadConfig({
      PORT: '8080',
      TRUST_PROXY: 'loopback',
      LOG_LEVEL: 'WARN',
      ALLOW_SIGNUP: 'false',
      PUBLIC_URL: 'https://tokens.example.com/some/path',
      RATE_LIMIT_IP_PER_MINUTE: '5',
    });
    expect(config).toMatchObject({
      port: 8080,
      trustProxy: 'loopback',
      logLevel: 'warn',
      allowSignup: false,
      publicUrl: 'https://tokens.example.com',
    });
    expect(config.rateLimits.ipPerMinute).toBe(5);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TOKEN_CACHE_SIZE: ' 5000 ' }).tokenCacheSize).toBe(5000);
    expect(loadConfig({ TOKEN_CACHE_SIZE: '1_000_000' }).tokenCacheSize).toBe(1_000_000);
    expect(loadConfig({ USAGE_RETENTION_DAYS: '30', AUDIT_RETENTION_DAYS: '3650' })).toMatchObject({
      usageRetentionDays: 30,
      auditRetentionDays: 3650,
    });
    expect(loadConfig({ USAGE_RECORDING: 'false' }).usageRecording).toBe(false);
  });

  it.each([
    ['PORT', 'abc', /PORT must be a whole number from 0 to 65535, got "abc"/],
    ['PORT', '70000', /PORT must be a whole number from 0 to 65535/],
    ['RATE_LIMIT_IP_PER_MINUTE', '0', /RATE_LIMIT_IP_PER_MINUTE must be a whole number from 1 to 1000000000/],
    ['RATE_LIMIT_OWNER_PER_MINUTE', '-5', /RATE_LIMIT_OWNER_PER_MINUTE must be a whole number/],
    ['RATE_LIMIT_TRPC_PER_MINUTE', '1.5', /RATE_LIMIT_TRPC_PER_MINUTE must be a whole number/],
    ['TOKEN_CACHE_SIZE', '0', /TOKEN_CACHE_SIZE must be a whole number from 1 to 10000000, got "0"/],
    ['TOKEN_CACHE_SIZE', '-1', /TOKEN_CACHE_SIZE must be a whole number/],
    ['TOKEN_CACHE_SIZE', '1e5', /TOKEN_CACHE_SIZE must be a whole number/],
    ['TOKEN_CACHE_SIZE', '10000001', /TOKEN_CACHE_SIZE must be a whole number from 1 to 10000000/],
    ['TOKEN_CACHE_SIZE', 'lots', /TOKEN_CACHE_SIZE must be a whole number/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of/],
    ['ALLOW_SIGNUP', 'maybe', /ALLOW_SIGNUP must be true or false/],
    ['TRUST_PROXY', 'everyone!', /TRUST_PROXY must be/],
    ['PUBLIC_URL', 'ftp://example.com', /PUBLIC_URL must start with http:\/\/ or https:\/\/, not ftp:\/\//],
    ['PUBLIC_URL', 'tokens.example.com', /PUBLIC_URL must be a URL starting with http:\/\/ or https:\/\/, such as/],
    ['PUBLIC_URL', 'https://', /PUBLIC_URL must be a URL starting with http:\/\/ or https:\/\/, such as https:/],
    ['DATABASE_URL', 'mysql://localhost/db', /DATABASE_URL must be postgres/],
    ['USAGE_RETENTION_DAYS', 'ninety', /USAGE_RETENTION_DAYS must be a whole number/],
    ['USAGE_RETENTION_DAYS', '0', /USAGE_RETENTION_DAYS must be a whole number from 1 to 3650/],
    ['USAGE_RECORDING', 'sometimes', /USAGE_RECORDING must be true or false/],
    ['AUDIT_RETENTION_DAYS', '3651', /AUDIT_RETENTION_DAYS must be a whole number from 1 to 3650/],
    ['AUDIT_RETENTION_DAYS', '12.5', /AUDIT_RETENTION_DAYS must be a whole number/],
  ])('refuses %s=%s with a message naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('reads TRUST_PROXY as false, a hop count, or the addresses, ranges and names of the proxies', () => {
    for (const value of ['', ' ', 'false', 'FALSE', '0', 'no', 'off'])
      expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: ' 3 ' }).trustProxy).toBe(3);
    for (const [value, read] of [
      ['loopback', 'loopback'],
      ['Loopback, UniqueLocal', 'loopback, uniquelocal'],
      ['10.0.0.5', '10.0.0.5'],
      ['10.0.0.0/8,192.0.2.1', '10.0.0.0/8, 192.0.2.1'],
      ['loopback, 2001:db8::/32, linklocal', 'loopback, 2001:db8::/32, linklocal'],
    ]) {
      expect(loadConfig({ TRUST_PROXY: value }).trustProxy, value).toBe(read);
    }
  });

  it.each(['true', 'TRUE', ' yes ', 'on'])(
    'refuses TRUST_PROXY=%s with one line that names the ways to trust a proxy',
    (value) => {
      let error: Error | undefined;
      try {
        loadConfig({ TRUST_PROXY: value });
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(
        new RegExp(`^TRUST_PROXY=${value.trim()} would believe the X-Forwarded-For address any client writes; `),
      );
      // The alternatives: a hop count, or the proxies' addresses or ranges.
      expect(error?.message).toMatch(/number of proxies in front of the server/);
      expect(error?.message).toMatch(/addresses or CIDR ranges \(loopback, linklocal, uniquelocal, 10\.0\.0\.5/);
      expect(error?.message.split('\n')).toHaveLength(1);
    },
  );

  it.each(['everyone!', 'abc', 'loopback, proxy.example.com', '10.0.0.0/33', '300.1.2.3', 'loopback,,10.0.0.1'])(
    'refuses TRUST_PROXY=%j that is no hop count or address list, naming the ways',
    (value) => {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(
        /^TRUST_PROXY must be false, a hop count, or proxy addresses, got .*: set it to the number of proxies/,
      );
    },
  );

  it('reads REDIS_URL and REDIS_KEY_PREFIX, with counters in memory when REDIS_URL is unset', () => {
    expect(loadConfig({})).toMatchObject({ redisUrl: null, redisKeyPrefix: 'latchkey:rate-limit:' });
    expect(loadConfig({ REDIS_URL: '  ' }).redisUrl).toBeNull();
    for (const url of [
      'redis://127.0.0.1:6379',
      'redis://localhost',
      'rediss://user:secret@cache.example.com:6380/2',
      'redis://[::1]:6379/0',
    ]) {
      expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
    }
    expect(loadConfig({ REDIS_KEY_PREFIX: 'acme:limits:' }).redisKeyPrefix).toBe('acme:limits:');
  });

  it.each([
    ['not a url', /^REDIS_URL must be a URL starting with redis:\/\/ or rediss:\/\/, such as redis:\/\/127\.0\.0\.1/],
    ['http://127.0.0.1:6379', /^REDIS_URL must start with redis:\/\/ or rediss:\/\/, not http:\/\//],
    ['127.0.0.1:6379', /^REDIS_URL must be a URL starting with redis:\/\/ or rediss:\/\//],
    ['localhost:6379', /^REDIS_URL must start with redis:\/\/ or rediss:\/\/, not localhost:\/\//],
    ['redis://', /^REDIS_URL needs a host name/],
    ['redis://127.0.0.1:99999', /^REDIS_URL must be a URL starting with redis:\/\/ or rediss:\/\//],
    ['redis://127.0.0.1:6379/cache', /^REDIS_URL may name only a database number/],
    ['redis://127.0.0.1:6379?enableOfflineQueue=true', /^REDIS_URL must not have a query string/],
  ])('refuses REDIS_URL=%s with one line that names it', (value, message) => {
    let error: Error | undefined;
    try {
      loadConfig({ REDIS_URL: value });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message.split('\n')).toHaveLength(1);
  });

  it('never repeats a REDIS_URL, which may hold a password, in its error', () => {
    for (const url of ['redis://user:hunter2-secret@host:6379/db', 'http://user:hunter2-secret@host:6379']) {
      expect(() => loadConfig({ REDIS_URL: url })).toThrow(/REDIS_URL/);
      expect(() => loadConfig({ REDIS_URL: url })).not.toThrow(/hunter2/);
    }
  });

  it.each(['has space', '', 'x'.repeat(101), 'tab\tkey'])('refuses REDIS_KEY_PREFIX=%j', (value) => {
    if (value === '') {
      expect(loadConfig({ REDIS_KEY_PREFIX: value }).redisKeyPrefix).toBe('latchkey:rate-limit:');
      return;
    }
    expect(() => loadConfig({ REDIS_KEY_PREFIX: value })).toThrow(
      /^REDIS_KEY_PREFIX must be 1 to 100 printable characters/,
    );
  });

  it.each([
    [{ PORT: 'not-a-port' }, 'PORT must be a whole number from 0 to 65535, got "not-a-port"'],
    [
      { TRUST_PROXY: 'true' },
      'TRUST_PROXY=true would believe the X-Forwarded-For address any client writes; set it to the number of ' +
        'proxies in front of the server (1 for one), or to their addresses or CIDR ranges ' +
        '(loopback, linklocal, uniquelocal, 10.0.0.5, 10.0.0.0/8, comma-separated)',
    ],
    [
      { TOKEN_SCOPES: 'invoices:read, Invoices Read' },
      'TOKEN_SCOPES: "Invoices Read" is not a scope name: lowercase words separated by ":", e.g. invoices:read ' +
        '(a letter first, then up to 39 letters, digits, - or _; up to three more parts after ":")',
    ],
  ])('stops the server at start with one line on stderr and exit code 1 (%j)', async (env, message) => {
    const root = path.resolve(import.meta.dirname, '../../..');
    // tsx from this package directly: `npx` would add npm's own warnings to stderr.
    const tsx = path.join(root, 'apps/api/node_modules/.bin/tsx');
    const error = await run(tsx, ['apps/api/src/main.ts'], {
      cwd: root,
      env: { ...process.env, ...env, DATABASE_URL: ':memory:' },
    }).catch((e: unknown) => e);
    const failure = error as { code?: number; stderr?: string; stdout?: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr?.trim().split('\n')).toEqual([`latchkey: configuration error: ${message}`]);
  });
});

describe('RATE_LIMIT_SERVICE_PER_MINUTE', () => {
  it('is 60000 unless set, and refuses what is not a whole number from 1, naming it', () => {
    expect(loadConfig({}).rateLimits.servicePerMinute).toBe(60_000);
    expect(loadConfig({ RATE_LIMIT_SERVICE_PER_MINUTE: '500' }).rateLimits.servicePerMinute).toBe(500);
    for (const bad of ['0', '-1', 'lots', '1.5']) {
      expect(() => loadConfig({ RATE_LIMIT_SERVICE_PER_MINUTE: bad })).toThrow(
        `RATE_LIMIT_SERVICE_PER_MINUTE must be a whole number from 1 to 1000000000, got "${bad}"`,
      );
    }
  });
});

describe('the product scopes: TOKEN_SCOPES and TOKEN_SCOPES_FILE', () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-scopes-'));
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));
  let files = 0;
  /** A file holding `content` (JSON of a value, or the text as it is), and its absolute path. */
  function scopesFile(content: unknown): string {
    const file = path.join(folder, `scopes-${++files}.json`);
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }
  /** The one-line message loadConfig refuses `env` with. */
  function refusal(env: Record<string, string>): string {
    try {
      loadConfig(env);
    } catch (error) {
      const message = (error as Error).message;
      expect(message.split('\n')).toHaveLength(1);
      return message;
    }
    throw new Error(`${JSON.stringify(env)} was accepted`);
  }

  it('knows only the built-in scopes, each described, when neither is set', () => {
    expect(loadConfig({}).scopes).toEqual({ names: [...BUILTIN_SCOPES], descriptions: BUILTIN_SCOPE_DESCRIPTIONS });
    expect(loadConfig({ TOKEN_SCOPES: '  ', TOKEN_SCOPES_FILE: '' }).scopes.names).toEqual([...BUILTIN_SCOPES]);
  });

  it('adds the declared scopes after the built-in ones, in order, blanks around each ignored', () => {
    const config = loadConfig({ TOKEN_SCOPES: ' invoices:read ,documents:write,reports , a:b:c:d' });
    expect(config.scopes.names).toEqual([...BUILTIN_SCOPES, 'invoices:read', 'documents:write', 'reports', 'a:b:c:d']);
    expect(config.scopes.descriptions).toEqual(BUILTIN_SCOPE_DESCRIPTIONS);
  });

  it('describes declared scopes from the file, leaving the others undescribed', () => {
    const file = scopesFile({ 'invoices:read': 'Read invoices and their lines', reports: '  Run reports  ' });
    const config = loadConfig({ TOKEN_SCOPES: 'invoices:read,documents:write,reports', TOKEN_SCOPES_FILE: file });
    expect(config.scopes.descriptions).toEqual({
      ...BUILTIN_SCOPE_DESCRIPTIONS,
      'invoices:read': 'Read invoices and their lines',
      reports: 'Run reports',
    });
    expect(loadConfig({ TOKEN_SCOPES_FILE: scopesFile({}) }).scopes).toEqual(createScopeSet());
  });

  it('takes a relative TOKEN_SCOPES_FILE from the project root, wherever the process started', () => {
    const file = scopesFile({ 'invoices:read': 'Read invoices' });
    const relative = path.relative(PROJECT_ROOT, file);
    expect(path.isAbsolute(relative)).toBe(false);
    const config = loadConfig({ TOKEN_SCOPES: 'invoices:read', TOKEN_SCOPES_FILE: relative });
    expect(config.scopes.descriptions['invoices:read']).toBe('Read invoices');
  });

  it.each([
    ['Invoices Read', 'TOKEN_SCOPES: "Invoices Read" is not a scope name: lowercase words separated by ":"'],
    ['invoices:read,invoices:', 'TOKEN_SCOPES: "invoices:" is not a scope name'],
    ['a:b:c:d:e', 'TOKEN_SCOPES: "a:b:c:d:e" is not a scope name'],
    ['invoices:read,reports,invoices:read', 'TOKEN_SCOPES: "invoices:read" is given twice'],
    ['invoices:read,tokens:write', 'TOKEN_SCOPES: "tokens:write" is a built-in scope'],
    ['invoices:read,,reports', 'TOKEN_SCOPES has an empty entry (two commas in a row, or one at an end)'],
    ['invoices:read,', 'TOKEN_SCOPES has an empty entry'],
    [
      Array.from({ length: 48 }, (_, i) => `scope${i}`).join(','),
      'TOKEN_SCOPES: 48 scopes are too many: at most 47 besides the built-in ones',
    ],
  ])('refuses TOKEN_SCOPES=%j with one line naming it and the bad entry', (value, message) => {
    expect(refusal({ TOKEN_SCOPES: value })).toContain(message);
  });

  it.each([
    ['a scope TOKEN_SCOPES does not declare', { 'invoice:read': 'Typo' }, 'which is not a declared scope'],
    ['a built-in scope', { 'audit:read': 'Mine' }, 'which is a built-in scope, described already'],
    ['a number', { 'invoices:read': 42 }, 'the description of "invoices:read" must be a string, not number'],
    ['an object', { 'invoices:read': { en: 'x' } }, 'the description of "invoices:read" must be a string'],
    ['an empty text', { 'invoices:read': '' }, 'the description of "invoices:read" is empty'],
    ['a JSON list', ['invoices:read'], 'must hold a JSON object of descriptions'],
    ['a JSON string', 'not json at all', 'is not JSON: '],
    ['bad JSON', '{"invoices:read": "Read",}', 'is not JSON: '],
  ])('refuses a TOKEN_SCOPES_FILE with %s, naming the variable and the file', (_what, content, message) => {
    const file = scopesFile(content);
    const line = refusal({ TOKEN_SCOPES: 'invoices:read', TOKEN_SCOPES_FILE: file });
    expect(line).toMatch(new RegExp(`^TOKEN_SCOPES_FILE \\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    expect(line).toContain(message);
  });

  it('refuses a TOKEN_SCOPES_FILE that cannot be read, naming it and why', () => {
    const missing = path.join(folder, 'missing.json');
    expect(refusal({ TOKEN_SCOPES_FILE: missing })).toMatch(
      new RegExp(`^TOKEN_SCOPES_FILE \\(${missing.replaceAll('.', '\\.')}\\) cannot be read: ENOENT`),
    );
    expect(refusal({ TOKEN_SCOPES_FILE: folder })).toMatch(/^TOKEN_SCOPES_FILE \(.*\) cannot be read: EISDIR/);
  });

  it('says a file describing scopes does not declare them: without TOKEN_SCOPES, its keys are refused', () => {
    const file = scopesFile({ 'invoices:read': 'Read invoices' });
    expect(refusal({ TOKEN_SCOPES_FILE: file })).toContain(
      'there is a description of "invoices:read", which is not a declared scope (declared: none)',
    );
  });
});

describe('docs/configuration.md', () => {
  const page = fs.readFileSync(path.join(PROJECT_ROOT, 'docs/configuration.md'), 'utf8');

  it('lists every variable with its default and meaning, as config.ts declares them', () => {
    // On failure: `pnpm --filter @latchkey/api docs:config` rewrites the table from config.ts.
    expect(page).toContain(renderConfigurationTable());
    expect(withCurrentTable(page)).toBe(page);
  });

  it('has a row for every variable, the new ones included, and states each default as read', () => {
    const rows = page.split('\n').filter((line) => /^\| `[A-Z_]+` \|/.test(line));
    expect(rows.map((row) => /^\| `([A-Z_]+)`/.exec(row)![1])).toEqual(Object.keys(ENV_VARIABLES));
    expect(rows).toContain(
      '| `RATE_LIMIT_SERVICE_PER_MINUTE` | `60000` | token checks per service client ' +
        '([introspection](introspection.md)) per minute; counted per client, never per address |',
    );
    const defaults = loadConfig({});
    expect(page).toContain(`| \`PORT\` | \`${defaults.port}\` |`);
    expect(page).toContain(`| \`AUDIT_RETENTION_DAYS\` | \`${defaults.auditRetentionDays}\` |`);
    expect(page).toContain('| `TOKEN_SCOPES` | none |');
  });
});
