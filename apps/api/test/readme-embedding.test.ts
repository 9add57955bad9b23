// The README's embedding snippet as a reader uses it: copied out of the page as it is, run as its own
// process (createLatchkey + requireToken from @latchkey/lib) on the SQLite file a Latchkey server made,
// it protects its route with the server's rules; on a database without Latchkey's schema it refuses to
// start, naming `latchkey migrate`.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiToken,
  createDatabase,
  createUser,
  migrateToLatest,
  systemClock,
  type CreatedApiToken,
  type PublicUser,
} from '@latchkey/lib';
import { API_DIR, freePort } from './reliability/support/child-server';

const README = path.join(API_DIR, '../../README.md');
// Under apps/api's node_modules, so that the snippet's imports resolve as in a service that depends on
// express and @latchkey/lib; never committed.
const SNIPPET_DIR = path.join(API_DIR, 'node_modules/.cache/latchkey-readme-snippets');

function embeddingSnippet(): string {
  const text = fs.readFileSync(README, 'utf8');
  const snippet = [...text.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .find((c) => c.includes('createLatchkey('));
  if (!snippet) throw new Error('README.md has no createLatchkey snippet');
  return snippet;
}

type Service = { url: string; child: ChildProcess; output: string[]; exited: Promise<number | null> };
const services: Service[] = [];

function start(databaseUrl: string, port: number): Service {
  fs.mkdirSync(SNIPPET_DIR, { recursive: true });
  const file = path.join(SNIPPET_DIR, `embed-${process.pid}-${services.length}.mts`);
  fs.writeFileSync(file, embeddingSnippet());
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== 'NODE_OPTIONS' && key !== 'REDIS_URL' && !key.startsWith('VITEST'))
      env[key] = value;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: API_DIR,
    env: { ...env, DATABASE_URL: databaseUrl, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const service = { url: `http://127.0.0.1:${port}`, child, output, exited };
  services.push(service);
  return service;
}

/** Resolves once the snippet answers (not a timing assertion: it fails only if it never does). */
async function listening(service: Service): Promise<void> {
  for (let tries = 0; tries < 1200; tries++) {
    if (service.child.exitCode !== null) throw new Error(`the snippet exited: ${service.output.join('')}`);
    try {
      await fetch(`${service.url}/invoices`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`the snippet never listened: ${service.output.join('')}`);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-readme-'));
const databaseFile = path.join(dir, 'latchkey.db');
let user: PublicUser;
let reader: CreatedApiToken;
let other: CreatedApiToken;

beforeAll(async () => {
  // The database a Latchkey server made and migrated, with a user and two tokens.
  const db = createDatabase(databaseFile);
  try {
    await migrateToLatest(db);
    user = await createUser({
      db,
      clock: systemClock,
      email: 'embed@example.com',
      name: 'Embed',
      password: 'a long test-only passphrase',
    });
    const allowedScopes = ['tokens:read', 'invoices:read'];
    const base = { db, clock: systemClock, userId: user.id, allowedScopes };
    reader = await createApiToken({ ...base, name: 'invoice reader', scopes: ['invoices:read'] });
    other = await createApiToken({ ...base, name: 'token reader', scopes: ['tokens:read'] });
  } finally {
    await db.destroy();
  }
}, 60_000);

afterAll(() => {
  for (const { child } of services) if (child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(SNIPPET_DIR, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
});

async function get(url: string, token?: string) {
  const response = await fetch(`${url}/invoices`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: await response.json() };
}

describe("the README's embedding snippet", () => {
  it('lets a token with the scope through and answers the others as the REST API does', async () => {
    const service = start(databaseFile, await freePort());
    await listening(service);
    expect(await get(service.url, reader.token)).toEqual({
      status: 200,
      body: { owner: { kind: 'user', userId: user.id } },
    });
    expect(await get(service.url)).toEqual({
      status: 401,
      body: { code: 'UNAUTHORIZED', message: 'API token was not provided' },
    });
    expect(await get(service.url, other.token)).toEqual({
      status: 403,
      body: { code: 'FORBIDDEN', message: 'This token lacks the scope invoices:read' },
    });
    expect(await get(service.url, `${reader.token.slice(0, -1)}x`)).toMatchObject({ status: 401 });
  }, 60_000);

  it('refuses to start on a database without Latchkey’s schema, naming latchkey migrate', async () => {
    const empty = path.join(dir, 'empty.db');
    fs.writeFileSync(empty, '');
    const service = start(empty, await freePort());
    expect(await service.exited).not.toBe(0);
    expect(service.output.join('')).toContain('latchkey migrate');
  }, 60_000);
});
