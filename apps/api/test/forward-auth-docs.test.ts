// docs/forward-auth.md: it quotes the nginx and Caddy configurations of deploy/ exactly as the proxy
// tests run them, the README leads to it, and its curl and Python examples (what a service in another
// language does) work against a real server. Without python3 or curl the example is skipped with a
// message, or fails under CI=true.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROXY_CONFIG_FILES } from './support/proxies';
import { startServer, type TestServer } from './support/server';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DOC = fs.readFileSync(path.join(REPO_ROOT, 'docs/forward-auth.md'), 'utf8');
const IN_CI = process.env.CI === 'true';

/** The one fenced block of `language` in the page that contains `marker`. */
function codeBlock(language: string, marker: string): string {
  const blocks = [...DOC.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))]
    .map((match) => match[1]!)
    .filter((block) => block.includes(marker));
  expect(blocks, `${language} block with ${marker}`).toHaveLength(1);
  return blocks[0]!;
}

/** A program on PATH, or null. */
function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

describe('docs/forward-auth.md', () => {
  it('quotes the nginx and Caddy configurations the proxy tests run, unchanged', () => {
    expect(codeBlock('nginx', 'auth_request')).toBe(fs.readFileSync(PROXY_CONFIG_FILES.nginx, 'utf8'));
    expect(codeBlock('caddyfile', 'forward_auth')).toBe(fs.readFileSync(PROXY_CONFIG_FILES.caddy, 'utf8'));
  });

  it('is linked from the README and from the API reference', () => {
    expect(fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')).toContain('(docs/forward-auth.md)');
    expect(fs.readFileSync(path.join(REPO_ROOT, 'docs/api.md'), 'utf8')).toContain('(forward-auth.md)');
  });
});

describe('the examples for a service in another language', () => {
  const python = onPath('python3');
  const curl = onPath('curl');
  let server: TestServer | undefined;
  let reader: string;
  let dir: string;

  beforeAll(async () => {
    // The service that asks is the one trusted proxy: it passes the client's address.
    server = await startServer({ config: { trustProxy: 1 } });
    const user = await server.createTestUser();
    reader = (await server.createTestToken(user, { scopes: ['tokens:read'] })).token;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-forward-auth-docs-'));
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    expect(server?.leakedSecrets()).toEqual([]);
    await server?.close();
  });

  function needs(program: string, found: string | null): boolean {
    if (found) return true;
    if (IN_CI) throw new Error(`${program} is needed for the forward-auth examples`);
    console.warn(`${program} is not installed: the forward-auth ${program} example is not run`);
    return false;
  }

  it('curl: 200 with the identity headers', async () => {
    if (!needs('curl', curl)) return;
    const { stdout } = await run('bash', ['-c', codeBlock('sh', 'forward-auth')], {
      env: { ...process.env, LATCHKEY_URL: server!.url, LATCHKEY_TOKEN: reader },
    });
    expect(stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(stdout).toMatch(/\r\nX-Latchkey-Scopes: tokens:read\r\n/i);
  });

  it('Python: check_token returns who the caller is, or raises Refused with the answer to give', async () => {
    if (!needs('python3', python)) return;
    const source = codeBlock('python', 'def check_token');
    const configured = source.replace('LATCHKEY_URL = "http://127.0.0.1:3000"', `LATCHKEY_URL = "${server!.url}"`);
    expect(configured).not.toBe(source);
    fs.writeFileSync(path.join(dir, 'latchkey_check.py'), configured);
    const harness = [
      'import json, sys',
      'from latchkey_check import Refused, check_token',
      'token = sys.argv[1]',
      'def ask(authorization, ip, scopes):',
      '    try:',
      '        return {"ok": check_token(authorization, ip, scopes)}',
      '    except Refused as refused:',
      '        retry_after = refused.headers.get("Retry-After")',
      '        return {"status": refused.status, "body": refused.body, "retryAfter": retry_after}',
      'print(json.dumps([',
      '    ask("Bearer " + token, "203.0.113.7", ["tokens:read"]),',
      '    ask(None, "203.0.113.7", []),',
      '    ask("Bearer " + token, "203.0.113.7", ["tokens:write"]),',
      ']))',
    ].join('\n');
    const { stdout } = await run(python!, ['-c', harness, reader], { cwd: dir });
    const [accepted, missing, scope] = JSON.parse(stdout) as Array<Record<string, any>>;
    expect(accepted!.ok).toMatchObject({ owner: expect.stringMatching(/^user:\d+$/), scopes: 'tokens:read' });
    expect(Object.keys(accepted!.ok).sort()).toEqual(['owner', 'scopes', 'token-id', 'user-id']);
    expect(missing).toEqual({
      status: 401,
      body: { code: 'UNAUTHORIZED', message: 'API token was not provided' },
      retryAfter: null,
    });
    expect(scope).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });

    // The address it passed is the one Latchkey saw.
    await server!.lastUsed.flush();
    const usage = await server!.api('GET', '/api/v1/tokens/self/usage', { token: reader });
    expect(usage.body.recentIps.map((seen: { ip: string }) => seen.ip)).toContain('203.0.113.7');
  });
});
