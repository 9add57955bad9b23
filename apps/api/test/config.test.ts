// The environment is read once at start; a bad value is refused with a one-line message naming it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';

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
    ['PORT', 'abc', /PORT must be a port number/],
    ['PORT', '70000', /PORT must be a port number/],
    ['RATE_LIMIT_IP_PER_MINUTE', '0', /RATE_LIMIT_IP_PER_MINUTE must be between 1/],
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
    ['PUBLIC_URL', 'ftp://example.com', /PUBLIC_URL must be an http\(s\) URL/],
    ['DATABASE_URL', 'mysql://localhost/db', /DATABASE_URL must be postgres/],
    ['USAGE_RETENTION_DAYS', 'ninety', /USAGE_RETENTION_DAYS must be a whole number/],
    ['USAGE_RETENTION_DAYS', '0', /USAGE_RETENTION_DAYS must be between 1/],
    ['USAGE_RECORDING', 'sometimes', /USAGE_RECORDING must be true or false/],
    ['AUDIT_RETENTION_DAYS', '3651', /AUDIT_RETENTION_DAYS must be a number of days from 1 to 3650/],
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
    ['not a url', /^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL, such as redis:\/\/127\.0\.0\.1:6379/],
    ['http://127.0.0.1:6379', /^REDIS_URL must start with redis:\/\/ or rediss:\/\/, not http:\/\//],
    ['127.0.0.1:6379', /^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
    ['localhost:6379', /^REDIS_URL must start with redis:\/\/ or rediss:\/\/, not localhost:\/\//],
    ['redis://', /^REDIS_URL needs a host name/],
    ['redis://127.0.0.1:99999', /^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/],
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
    [{ PORT: 'not-a-port' }, 'PORT must be a port number from 0 to 65535, got "not-a-port"'],
    [
      { TRUST_PROXY: 'true' },
      'TRUST_PROXY=true would believe the X-Forwarded-For address any client writes; set it to the number of ' +
        'proxies in front of the server (1 for one), or to their addresses or CIDR ranges ' +
        '(loopback, linklocal, uniquelocal, 10.0.0.5, 10.0.0.0/8, comma-separated)',
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
