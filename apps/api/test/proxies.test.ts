// Forward auth through real nginx and real Caddy, each running the configuration kept in deploy/
// (only addresses changed), in front of a service that echoes what it received. Clients connect from
// different loopback addresses (127.0.0.x), so the proxy sees each as its own client and tells
// Latchkey (TRUST_PROXY=1) through X-Forwarded-For. Under CI=true a missing proxy fails; elsewhere
// its tests are skipped with a message (describeWhenAvailable).
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWhenAvailable, freePort } from '@latchkey/lib/testing';
import { proxyBinary, startProxy, type ProxyKind, type RunningProxy } from './support/proxies';
import { startServer, TOO_MANY_REQUESTS_BODY, type TestServer } from './support/server';

const OWNER_LIMIT = 6;
const FAILURE_LIMIT = 4;

/** What the service behind the proxy saw of one request. */
type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: string };

/** A service that answers every request with what it received, as JSON. */
async function startEchoService() {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(request);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(request));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    address,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Answer = { status: number; headers: http.IncomingHttpHeaders; text: string; json: any };

/** One request through the proxy, sent from the loopback address `from` (each test is its own client). */
function send(
  proxy: RunningProxy,
  from: string,
  options: { method?: string; path?: string; token?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: proxy.port,
        localAddress: from,
        method: options.method ?? 'GET',
        path: options.path ?? '/invoices/7',
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe.each(['nginx', 'caddy'] as const)('forward auth through %s', (kind: ProxyKind) => {
  const installed = () =>
    Promise.resolve(
      proxyBinary(kind) ? null : `${kind} is not installed (apt-get install ${kind}; .ci/run installs it)`,
    );

  describeWhenAvailable(`real ${kind} with the configuration from deploy/`, [installed], ({ setup }) => {
    let latchkey: TestServer | undefined;
    let service: Awaited<ReturnType<typeof startEchoService>> | undefined;
    let proxy: RunningProxy | undefined;
    let clients = 10;
    /** A loopback address no other test of this proxy uses, so their per-address limits never meet. */
    const client = () => `127.0.0.${clients++}`;

    setup(async () => {
      latchkey = await startServer({
        config: { trustProxy: 1 },
        productScopes: ['invoices:read', 'invoices:write'],
        rateLimits: { ownerPerMinute: OWNER_LIMIT, authFailuresPerMinute: FAILURE_LIMIT },
      });
      service = await startEchoService();
      proxy = await startProxy(kind, { latchkey: new URL(latchkey.url).host, service: service.address });
    });

    afterAll(async () => {
      // Each one stopped even when another fails to.
      const results = await Promise.allSettled([proxy?.stop(), service?.close(), latchkey?.close()]);
      expect(latchkey?.leakedSecrets() ?? []).toEqual([]);
      for (const result of results) if (result.status === 'rejected') throw result.reason;
    });

    async function reader(name = 'Reader') {
      const user = await latchkey!.createTestUser(name);
      const token = await latchkey!.createTestToken(user, { scopes: ['invoices:read', 'tokens:write'] });
      return { user, token };
    }

    it('refuses a request without a token with Latchkey’s 401 JSON; the service never sees it', async () => {
      const before = service!.seen.length;
      const res = await send(proxy!, client());
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json).toEqual({ code: 'UNAUTHORIZED', message: 'API token was not provided' });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      const bad = await send(proxy!, client(), { token: 'api_' + 'x'.repeat(36) });
      expect(bad.status).toBe(401);
      expect(bad.json).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
      expect(bad.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_token"');
      expect(service!.seen.length).toBe(before);
    });

    it('refuses a token without the scope with 403 JSON', async () => {
      const user = await latchkey!.createTestUser('Writer');
      const writer = await latchkey!.createTestToken(user, { scopes: ['invoices:write'] });
      const res = await send(proxy!, client(), { token: writer.token });
      expect(res.status).toBe(403);
      expect(res.json).toEqual({ code: 'FORBIDDEN', message: 'This token lacks the scope invoices:read' });
    });

    it('lets a valid token through with who it is; client-sent X-Latchkey-* headers never arrive', async () => {
      const { user, token } = await reader();
      const forged = {
        'x-latchkey-user-id': '999999',
        'x-latchkey-owner': 'user:999999',
        'x-latchkey-team-id': '42',
        'x-latchkey-team-slug': 'admins',
        'x-latchkey-token-id': '1',
        'x-latchkey-scopes': 'tokens:write admin',
        'x-latchkey-error': 'none',
      };
      const res = await send(proxy!, client(), {
        method: 'POST',
        token: token.token,
        headers: forged,
        body: '{"amount":12}',
      });
      expect(res.status).toBe(200);
      const seen = res.json as Seen;
      expect(seen).toMatchObject({ method: 'POST', url: '/invoices/7', body: '{"amount":12}' });
      const latchkeyHeaders = Object.fromEntries(
        Object.entries(seen.headers).filter(([name]) => name.startsWith('x-latchkey-')),
      );
      expect(latchkeyHeaders).toEqual({
        'x-latchkey-token-id': String(token.id),
        'x-latchkey-owner': `user:${user.id}`,
        'x-latchkey-user-id': String(user.id),
        'x-latchkey-scopes': 'invoices:read tokens:write',
      });

      const admin = await latchkey!.createTestUser('Team Admin');
      const team = await latchkey!.createTestTeam(admin, 'Invoice Team');
      const teamToken = await latchkey!.createTestToken(admin, { teamId: team.id, scopes: ['invoices:read'] });
      const viaTeam = await send(proxy!, client(), { token: teamToken.token, headers: forged });
      expect(viaTeam.status).toBe(200);
      expect((viaTeam.json as Seen).headers).toMatchObject({
        'x-latchkey-owner': `team:${team.id}`,
        'x-latchkey-user-id': String(admin.id),
        'x-latchkey-team-id': String(team.id),
        'x-latchkey-team-slug': 'invoice-team',
      });
    });

    if (kind === 'nginx') {
      it('answers a JSON 500, and calls no service, when Latchkey cannot be reached', async () => {
        const before = service!.seen.length;
        const unreachable = await startProxy('nginx', {
          latchkey: `127.0.0.1:${await freePort()}`,
          service: service!.address,
        });
        try {
          const res = await send(unreachable, client(), { token: 'api_' + 'z'.repeat(36) });
          expect(res.status).toBe(500);
          expect(res.json).toEqual({ code: 'INTERNAL_ERROR', message: 'The token could not be checked' });
        } finally {
          await unreachable.stop();
        }
        expect(service!.seen.length).toBe(before);
      });
    }

    if (kind === 'caddy') {
      it('strips any other client-sent X-Latchkey-* header too', async () => {
        const { token } = await reader();
        const res = await send(proxy!, client(), { token: token.token, headers: { 'x-latchkey-role': 'admin' } });
        expect(res.status).toBe(200);
        expect((res.json as Seen).headers['x-latchkey-role']).toBeUndefined();
      });
    }

    it('refuses a token deleted through REST on the next request', async () => {
      const { token } = await reader();
      const from = client();
      expect((await send(proxy!, from, { token: token.token })).status).toBe(200);
      expect((await latchkey!.api('DELETE', '/api/v1/tokens/self', { token: token.token })).status).toBe(204);
      const after = await send(proxy!, from, { token: token.token });
      expect(after.status).toBe(401);
      expect(after.json).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
    });

    it('answers a client over a limit 429 with Retry-After and the JSON body', async () => {
      const { token } = await reader();
      const from = client();
      for (let i = 0; i < OWNER_LIMIT; i++) expect((await send(proxy!, from, { token: token.token })).status).toBe(200);
      const over = await send(proxy!, from, { token: token.token });
      expect(over.status).toBe(429);
      expect(over.json).toEqual(TOO_MANY_REQUESTS_BODY);
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(over.headers['x-ratelimit-limit']).toBe(String(OWNER_LIMIT));
      expect(over.headers['x-ratelimit-remaining']).toBe('0');
    });

    it('stops a client sending bad tokens without locking out the others behind the proxy', async () => {
      const { token } = await reader();
      const attacker = client();
      const other = client();
      for (let i = 0; i < FAILURE_LIMIT; i++)
        expect((await send(proxy!, attacker, { token: 'api_' + 'y'.repeat(36) })).status).toBe(401);
      // Its own valid token is refused now, whatever X-Forwarded-For it writes itself.
      const locked = await send(proxy!, attacker, { token: token.token, headers: { 'x-forwarded-for': other } });
      expect(locked.status).toBe(429);
      expect(locked.json).toEqual(TOO_MANY_REQUESTS_BODY);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await send(proxy!, other, { token: token.token })).status).toBe(200);
    });

    it('checks a token’s address list against the client, not the proxy', async () => {
      const { token } = await reader();
      const allowed = client();
      const created = await latchkey!.api('POST', '/api/v1/tokens', {
        token: token.token,
        body: { name: 'pinned', scopes: ['invoices:read'], allowedIps: [allowed] },
      });
      expect(created.status).toBe(201);
      expect((await send(proxy!, allowed, { token: created.body.token })).status).toBe(200);
      const elsewhere = await send(proxy!, client(), { token: created.body.token });
      expect(elsewhere.status).toBe(403);
      expect(elsewhere.json).toEqual({ code: 'FORBIDDEN', message: 'This token may not be used from this address' });
    });
  });
});
