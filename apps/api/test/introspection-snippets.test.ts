// docs/introspection.md as a reader uses it: its express snippet, copied out of the page as it is,
// runs as its own process (requireToken from @latchkey/client) against a real Latchkey server and
// protects a route through introspection, with no database; its curl line asks the endpoint as a
// Python or Go service would.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createServiceClient, deleteApiTokenById, type CreatedServiceClient } from '@latchkey/lib';
import { API_DIR, freePort } from './reliability/support/child-server';
import { startServer, type TestServer } from './support/server';

const PAGE = path.join(API_DIR, '../../docs/introspection.md');
// Under apps/api's node_modules, so that the snippet's imports (express, @latchkey/client) resolve
// as they would in a service that depends on them; never committed.
const SNIPPET_DIR = path.join(API_DIR, 'node_modules/.cache/latchkey-doc-snippets');

/** The page's code blocks of a language, in order. */
function blocks(language: string): string[] {
  const text = fs.readFileSync(PAGE, 'utf8');
  return [...text.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

type Service = { url: string; child: ChildProcess; output: string[] };
const services: Service[] = [];

/** Runs the express snippet with these settings on a free port; resolves once it answers. */
async function runSnippet(env: Record<string, string>): Promise<Service> {
  const snippet = blocks('ts').find((code) => code.includes('requireToken('));
  if (!snippet) throw new Error('docs/introspection.md has no requireToken snippet');
  fs.mkdirSync(SNIPPET_DIR, { recursive: true });
  const file = path.join(SNIPPET_DIR, `express-${process.pid}-${services.length}.ts`);
  fs.writeFileSync(file, snippet);
  const port = await freePort();
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== 'NODE_OPTIONS' && !key.startsWith('VITEST')) childEnv[key] = value;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: API_DIR,
    env: { ...childEnv, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service: Service = { url: `http://127.0.0.1:${port}`, child, output: [] };
  services.push(service);
  child.stdout.on('data', (chunk: Buffer) => service.output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => service.output.push(chunk.toString()));
  // Waits for the process to listen (not a timing assertion: it fails only if it never does).
  for (let tries = 0; tries < 1200; tries++) {
    if (child.exitCode !== null) throw new Error(`the snippet exited: ${service.output.join('')}`);
    try {
      await fetch(`${service.url}/invoices`);
      return service;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`the snippet never listened: ${service.output.join('')}`);
}

let latchkey: TestServer;
let serviceClient: CreatedServiceClient;
let env: Record<string, string>;

beforeAll(async () => {
  // The server knows the product's scope the snippet asks for.
  latchkey = await startServer({ productScopes: ['invoices:read'] });
  serviceClient = await createServiceClient({ db: latchkey.db, clock: latchkey.clock, name: 'Invoices service' });
  latchkey.remember(serviceClient.clientSecret);
  env = {
    LATCHKEY_URL: latchkey.url,
    LATCHKEY_CLIENT_ID: serviceClient.clientId,
    LATCHKEY_CLIENT_SECRET: serviceClient.clientSecret,
  };
}, 60_000);

afterAll(async () => {
  for (const { child } of services) {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  fs.rmSync(SNIPPET_DIR, { recursive: true, force: true });
  await latchkey?.close();
});

async function get(service: Service, token?: string) {
  const response = await fetch(`${service.url}/invoices`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('the express snippet of docs/introspection.md', () => {
  it('protects its route through introspection: 200 with the scope, 401 and 403 as Latchkey answers', async () => {
    const service = await runSnippet(env);
    const user = await latchkey.createTestUser('Ivan Invoices');
    const reader = await latchkey.createTestToken(user, { name: 'reader', scopes: ['invoices:read'] });
    const other = await latchkey.createTestToken(user, { name: 'other', scopes: ['tokens:read'] });

    expect(await get(service, reader.token)).toMatchObject({
      status: 200,
      body: { owner: `user:${user.id}`, username: user.email, scopes: 'invoices:read' },
    });

    const missing = await get(service);
    expect(missing).toMatchObject({
      status: 401,
      body: { code: 'UNAUTHORIZED', message: 'API token was not provided' },
    });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="api"');

    expect(await get(service, other.token)).toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN', message: 'This token lacks the scope invoices:read' },
    });

    await deleteApiTokenById({ db: latchkey.db, clock: latchkey.clock, userId: user.id, id: reader.id });
    const revoked = await get(service, reader.token);
    expect(revoked).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED', message: 'Invalid token' } });
    expect(revoked.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token"');

    // The caller's address (req.ip) goes with the question: a token for other addresses is refused.
    const here = await createApiToken({
      db: latchkey.db,
      clock: latchkey.clock,
      userId: user.id,
      name: 'loopback only',
      scopes: ['invoices:read'],
      allowedIps: ['127.0.0.1'],
      allowedScopes: ['invoices:read'],
    });
    const elsewhere = await createApiToken({
      db: latchkey.db,
      clock: latchkey.clock,
      userId: user.id,
      name: 'office only',
      scopes: ['invoices:read'],
      allowedIps: ['10.0.0.0/8'],
      allowedScopes: ['invoices:read'],
    });
    latchkey.remember(here.token);
    latchkey.remember(elsewhere.token);
    expect((await get(service, here.token)).status).toBe(200);
    expect((await get(service, elsewhere.token)).status).toBe(401);

    const secrets = [serviceClient.clientSecret, reader.token, other.token, here.token];
    for (const secret of secrets) expect(service.output.join('')).not.toContain(secret);
  });

  it('answers a JSON 500 without a stack when Latchkey cannot be reached', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const service = await runSnippet({ ...env, LATCHKEY_URL: nowhere });
    const user = await latchkey.createTestUser('Nadia Nowhere');
    const { token } = await latchkey.createTestToken(user, { scopes: ['invoices:read'] });
    const answer = await get(service, token);
    expect(answer).toEqual({
      status: 500,
      headers: expect.anything(),
      body: { code: 'INTERNAL_ERROR', message: 'The token could not be checked' },
    });
  });
});

describe('the curl line of docs/introspection.md', () => {
  it('asks as a service in any language would, and gets the RFC 7662 answer', async () => {
    const [curl] = blocks('sh').filter((code) => code.includes('curl '));
    if (!curl) throw new Error('docs/introspection.md has no curl example');
    const user = await latchkey.createTestUser('Carl Curl');
    const { token, id } = await latchkey.createTestToken(user, { scopes: ['invoices:read'] });
    const run = (callerIp: string) =>
      promisify(execFile)('bash', ['-c', curl], {
        env: { ...process.env, ...env, TOKEN: token, CALLER_IP: callerIp },
      });
    const { stdout } = await run('192.0.2.44');
    expect(JSON.parse(stdout)).toMatchObject({
      active: true,
      scope: 'invoices:read',
      sub: `user:${user.id}`,
      username: user.email,
      jti: String(id),
    });
    await deleteApiTokenById({ db: latchkey.db, clock: latchkey.clock, userId: user.id, id });
    expect((await run('192.0.2.44')).stdout).toBe('{"active":false}');
  });
});
