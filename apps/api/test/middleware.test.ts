// The verifier as middleware of another express app (`createLatchkey(...).requireToken`), with the
// product's own scopes (`invoices:read`), the way a service that embeds Latchkey uses it.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_SCOPES,
  createApiToken,
  createScopeSet,
  createLatchkey,
  createUser,
  ManualClock,
  type CreatedApiToken,
  type Latchkey,
  type PublicUser,
  type RateLimitStore,
} from '@latchkey/lib';
import { createTestDatabase, type TestDatabase } from '@latchkey/lib/testing';
import { DAY, rateLimitHeaders, START_TIME, startServer, TOO_MANY_REQUESTS_BODY } from './support/server';

const INVOICE_SCOPES = [...BUILTIN_SCOPES, 'invoices:read', 'invoices:write'];

let database: TestDatabase;
let latchkey: Latchkey;
let clock: ManualClock;
let server: Server;
let url: string;
let user: PublicUser;
let invoiceReader: CreatedApiToken;
let tokensOnly: CreatedApiToken;

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  clock = new ManualClock(START_TIME);
  const { db } = database;
  latchkey = await createLatchkey({
    database: db,
    clock,
    scopes: ['invoices:read', 'invoices:write'],
    limits: { authFailuresPerMinute: 3 },
  });
  user = await createUser({ db, clock, email: 'billing@example.com', name: 'Billing', password: 'billing password' });
  invoiceReader = await createApiToken({
    db,
    clock,
    userId: user.id,
    name: 'invoice reader',
    scopes: ['invoices:read'],
    expiresIn: 'SEVEN_DAYS',
    allowedScopes: INVOICE_SCOPES,
  });
  tokensOnly = await latchkey.tokens.create({ userId: user.id, name: 'tokens only' });
  const app = express();
  app.get('/invoices', latchkey.requireToken('invoices:read'), (req, res) => {
    res.json({ invoices: [{ id: 1, total: 42 }], tokenId: req.apiToken?.id, owner: req.apiToken?.owner });
  });
  app.post('/invoices', latchkey.requireToken('invoices:read', 'invoices:write'), (_req, res) => {
    res.status(201).json({ id: 2 });
  });
  app.get('/whoami', latchkey.requireToken(), (req, res) => {
    res.json({ user: req.apiToken?.user, scopes: req.apiToken?.scopes });
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await latchkey?.close();
  await database?.drop();
});

async function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const res = await fetch(url + path, { ...init, headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe('requireToken in a host application', () => {
  it('lets a token with the custom scope through and tells the route who it is', async () => {
    const res = await call('/invoices', { token: invoiceReader.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      invoices: [{ id: 1, total: 42 }],
      tokenId: invoiceReader.id,
      owner: { kind: 'user', userId: user.id },
    });
  });

  it('passes any valid token when no scope is required', async () => {
    const res = await call('/whoami', { token: tokensOnly.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: { id: user.id, name: 'Billing', email: 'billing@example.com' },
      scopes: INVOICE_SCOPES,
    });
  });

  it('answers 403 FORBIDDEN to a valid token without the scope', async () => {
    const readerCopy = await createApiToken({
      db: database.db,
      clock,
      userId: user.id,
      name: 'tokens read',
      scopes: ['tokens:read'],
      allowedScopes: INVOICE_SCOPES,
    });
    const res = await call('/invoices', { token: readerCopy.token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'FORBIDDEN', message: 'This token lacks the scope invoices:read' });
  });

  it('names every missing scope when a route needs several', async () => {
    const res = await call('/invoices', { method: 'POST', token: invoiceReader.token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'FORBIDDEN', message: 'This token lacks the scope invoices:write' });
  });

  it('answers 401 with the API.md bodies and WWW-Authenticate for a missing, invalid or expired token', async () => {
    const missing = await call('/invoices');
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ code: 'UNAUTHORIZED', message: 'API token was not provided' });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="api"');

    const invalid = await call('/invoices', { headers: { authorization: 'Bearer api_invalid' } });
    expect(invalid.status).toBe(401);
    expect(invalid.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
    expect(invalid.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token"');

    clock.set(START_TIME + 7 * DAY);
    try {
      const expired = await call('/invoices', { headers: { authorization: invoiceReader.token } });
      expect(expired.status).toBe(401);
      expect(expired.body).toEqual({ code: 'UNAUTHORIZED', message: 'Expired token' });
    } finally {
      clock.set(START_TIME);
    }
  });

  it('counts failed authentications with its own limiter: 429 past the limit, even for a valid token', async () => {
    // A fresh minute, half gone: the limit is 3 failures per minute.
    const start = START_TIME + 60 * 60_000;
    clock.set(start);
    try {
      for (let i = 0; i < 3; i++)
        expect((await call('/invoices', { headers: { authorization: 'nope' } })).status).toBe(401);
      const res = await call('/invoices', { token: invoiceReader.token });
      expect(res.status).toBe(429);
      expect(res.body).toEqual(TOO_MANY_REQUESTS_BODY);
      expect(rateLimitHeaders(res.headers)).toMatchObject({
        limit: 3,
        remaining: 0,
        retryAfter: 30,
        reset: (Math.floor(start / 60_000) + 1) * 60,
      });

      clock.set((Math.floor(start / 60_000) + 1) * 60_000);
      expect((await call('/invoices', { token: invoiceReader.token })).status).toBe(200);
    } finally {
      clock.set(START_TIME);
    }
  });
});

describe('requireToken when the check itself fails', () => {
  it('answers a JSON 500 without a stack, and tells onError', async () => {
    const broken: RateLimitStore = {
      increment: () => Promise.reject(new Error('limits store is down at /srv/secret/path.js:12')),
      get: () => Promise.reject(new Error('down')),
      decrement: () => Promise.reject(new Error('down')),
    };
    const errors: unknown[] = [];
    const failing = await createLatchkey({
      database: database.db,
      clock,
      rateLimitStore: broken,
      log: { error: (_message, error) => errors.push(error) },
    });
    const app = express();
    app.get('/x', failing.requireToken(), (_req, res) => res.json({ reached: true }));
    const outside = app.listen(0, '127.0.0.1');
    await once(outside, 'listening');
    try {
      const res = await fetch(`http://127.0.0.1:${(outside.address() as AddressInfo).port}/x`, {
        headers: { authorization: `Bearer ${invoiceReader.token}` },
      });
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
      expect(text).not.toMatch(/at |secret|\.js/);
      expect(errors).toHaveLength(1);
    } finally {
      outside.closeAllConnections();
      await new Promise<void>((resolve) => outside.close(() => resolve()));
      await failing.close();
    }
  });
});

describe('createApp with the product scopes (config.scopes)', () => {
  it('gives new tokens every scope by default, host scopes included, and lets tokens hand them on', async () => {
    const host = await startServer({ productScopes: ['invoices:read'] });
    try {
      const user = await host.createTestUser('Host User');
      const client = host.trpc();
      await client.auth.signIn.mutate({ email: user.email, password: user.password });
      const full = await client.apiToken.create.mutate({ name: 'everything' });
      expect(full.scopes).toEqual(['tokens:read', 'tokens:write', 'audit:read', 'invoices:read']);

      const child = await host.api('POST', '/api/v1/tokens', {
        token: full.token,
        body: { name: 'invoices only', scopes: ['invoices:read'] },
      });
      expect(child.status).toBe(201);
      expect(child.body.scopes).toEqual(['invoices:read']);

      const narrow = await client.apiToken.create.mutate({
        name: 'tokens only',
        scopes: ['tokens:read', 'tokens:write'],
      });
      const refused = await host.api('POST', '/api/v1/tokens', {
        token: narrow.token,
        body: { name: 'escalated', scopes: ['invoices:read'] },
      });
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({
        code: 'FORBIDDEN',
        message: 'A token cannot grant scopes it does not have: invoices:read',
      });
      expect(host.leakedSecrets()).toEqual([]);
    } finally {
      await host.close();
    }
  });

  it('takes an embedder’s scopes from createScopeSet, which refuses a bad name before any app is made', () => {
    expect(() => createScopeSet(['invoices:read', 'Invoices Read'])).toThrow('"Invoices Read" is not a scope name');
  });

  it('refuses a product scope that is not a scope name when the runtime is made, naming it', async () => {
    await expect(
      createLatchkey({ database: database.db, clock, scopes: ['invoices:read', 'Invoices Read'] }),
    ).rejects.toThrow('"Invoices Read" is not a scope name');
  });
});
