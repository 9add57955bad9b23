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
    expect(config.tokenMaxLifetimeDays).toBeNull();
    expect(config.rateLimits).toEqual({ credentialRevokePerHour: 60, ipPerMinute: 1000, ownerPerMinute: 1000, authFailuresPerMinute: 30, trpcPerMinute: 100, signInFailures: 10 });
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
    expect(config).toMatchObject({ port: 8080, trustProxy: 'loopback', logLevel: 'warn', allowSignup: false, publicUrl: 'https://tokens.example.com' });
    expect(config.rateLimits.ipPerMinute).toBe(5);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
  });

  it.each([
    ['PORT', 'abc', /PORT must be a port number/],
    ['PORT', '70000', /PORT must be a port number/],
    ['RATE_LIMIT_IP_PER_MINUTE', '0', /RATE_LIMIT_IP_PER_MINUTE must be between 1/],
    ['RATE_LIMIT_OWNER_PER_MINUTE', '-5', /RATE_LIMIT_OWNER_PER_MINUTE must be a whole number/],
    ['RATE_LIMIT_TRPC_PER_MINUTE', '1.5', /RATE_LIMIT_TRPC_PER_MINUTE must be a whole number/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of/],
    ['ALLOW_SIGNUP', 'maybe', /ALLOW_SIGNUP must be true or false/],
    ['TRUST_PROXY', 'everyone!', /TRUST_PROXY must be/],
    ['PUBLIC_URL', 'ftp://example.com', /PUBLIC_URL must be an http\(s\) URL/],
    ['DATABASE_URL', 'mysql://localhost/db', /DATABASE_URL must be postgres/],
  ])('refuses %s=%s with a message naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('stops the server at start with one line on stderr and exit code 1', async () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    // tsx from this package directly: `npx` would add npm's own warnings to stderr.
    const tsx = path.join(root, 'apps/api/node_modules/.bin/tsx');
    const error = await run(tsx, ['apps/api/src/main.ts'], { cwd: root, env: { ...process.env, PORT: 'not-a-port', DATABASE_URL: ':memory:' } }).catch((e: unknown) => e);
    const failure = error as { code?: number; stderr?: string; stdout?: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr?.trim().split('\n')).toEqual(['latchkey: configuration error: PORT must be a port number from 0 to 65535, got "not-a-port"']);
  });
});
