// /api/v1/forward-auth in-process: what a reverse proxy gets for each kind of request (identity
// headers on 200, the /api/v1 error bodies otherwise), `?scope=` checks, any method without reading
// a body, the client address from X-Forwarded-For behind a trusted proxy, and that each check is a use
// of the token. The same route through real nginx and Caddy is in proxies.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { getAuditEvents } from '@latchkey/lib';
import { rateLimitHeaders, startServer, TOO_MANY_REQUESTS_BODY, type StartServerOptions } from './support/server';
import type { TestServer } from './support/server';

const servers: TestServer[] = [];
async function serve(options: StartServerOptions = {}): Promise<TestServer> {
  const server = await startServer(options);
  servers.push(server);
  return server;
}
afterEach(async () => {
  for (const server of servers.splice(0)) {
    expect(server.leakedSecrets()).toEqual([]);
    await server.close();
  }
});

const PATH = '/api/v1/forward-auth';

/** A token made through REST by `parent`, usable from `ip` only. */
async function pinnedToken(server: TestServer, parent: string, ip: string): Promise<{ id: number; token: string }> {
  const created = await server.api('POST', '/api/v1/tokens', {
    token: parent,
    body: { name: 'pinned', allowedIps: [ip] },
  });
  expect(created.status).toBe(201);
  return created.body;
}

/** The X-Latchkey-* headers of an answer, by lower-case name. */
function identityOf(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].filter(([name]) => name.startsWith('x-latchkey-')));
}

describe('forward auth answers', () => {
  it('accepts a personal token: 200, no body, who it is in headers, the rate-limit headers', async () => {
    const server = await serve();
    const user = await server.createTestUser('Proxy User');
    const token = await server.createTestToken(user, { scopes: ['tokens:read', 'audit:read'] });
    const res = await server.api('GET', PATH, { token: token.token });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(identityOf(res.headers)).toEqual({
      'x-latchkey-token-id': String(token.id),
      'x-latchkey-owner': `user:${user.id}`,
      'x-latchkey-user-id': String(user.id),
      'x-latchkey-scopes': 'tokens:read audit:read',
    });
    expect(rateLimitHeaders(res.headers).remaining).toBeGreaterThan(0);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('accepts a team token with the team and its maker', async () => {
    const server = await serve();
    const admin = await server.createTestUser('Team Admin');
    const team = await server.createTestTeam(admin, 'Billing Crew');
    const token = await server.createTestToken(admin, { teamId: team.id });
    const res = await server.api('POST', PATH, { token: token.token });
    expect(res.status).toBe(200);
    expect(identityOf(res.headers)).toMatchObject({
      'x-latchkey-token-id': String(token.id),
      'x-latchkey-owner': `team:${team.id}`,
      'x-latchkey-user-id': String(admin.id),
      'x-latchkey-team-id': String(team.id),
      'x-latchkey-team-slug': 'billing-crew',
    });
  });

  it('refuses as /api/v1 does: 401 without a token or with a bad one, JSON and WWW-Authenticate', async () => {
    const server = await serve();
    const missing = await server.api('GET', PATH);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ code: 'UNAUTHORIZED', message: 'API token was not provided' });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    // The body again in a header, for nginx (auth_request drops the body of a refusal).
    expect(identityOf(missing.headers)).toEqual({ 'x-latchkey-error': missing.text });

    const made = await server.api('GET', PATH, { token: 'api_' + 'a'.repeat(36) });
    expect(made.status).toBe(401);
    expect(made.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
    expect(made.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token"');
    expect(Number.isNaN(rateLimitHeaders(made.headers).limit)).toBe(false);
  });

  it('refuses a token deleted through REST on the very next check', async () => {
    const server = await serve();
    const token = await server.createTestToken(await server.createTestUser());
    expect((await server.api('GET', PATH, { token: token.token })).status).toBe(200);
    expect((await server.api('DELETE', '/api/v1/tokens/self', { token: token.token })).status).toBe(204);
    const after = await server.api('GET', PATH, { token: token.token });
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
  });
});

describe('?scope=', () => {
  it('requires every scope given, the product’s own included, and names the missing ones', async () => {
    const server = await serve({ productScopes: ['invoices:read', 'invoices:write'] });
    const user = await server.createTestUser();
    const reader = await server.createTestToken(user, { scopes: ['invoices:read'] });
    const both = await server.createTestToken(user, { scopes: ['invoices:read', 'invoices:write'] });

    expect((await server.api('GET', `${PATH}?scope=invoices:read`, { token: reader.token })).status).toBe(200);
    const refused = await server.api('GET', `${PATH}?scope=invoices:read&scope=invoices:write`, {
      token: reader.token,
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ code: 'FORBIDDEN', message: 'This token lacks the scope invoices:write' });
    expect(identityOf(refused.headers)).toEqual({ 'x-latchkey-error': refused.text });

    const ok = await server.api('GET', `${PATH}?scope=invoices:read&scope=invoices:write`, { token: both.token });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-latchkey-scopes')).toBe('invoices:read invoices:write');
  });

  it('is a 400 for a scope this server does not know, and for any other parameter', async () => {
    const server = await serve();
    const token = await server.createTestToken(await server.createTestUser());
    const unknown = await server.api('GET', `${PATH}?scope=invoices:read`, { token: token.token });
    expect(unknown.status).toBe(400);
    expect(unknown.body.code).toBe('INVALID_REQUEST');
    expect(unknown.body.message).toContain('"invoices:read" is not a scope of this server');
    expect(unknown.body.issues).toEqual([{ path: 'scope', message: '"invoices:read" is not a scope of this server' }]);

    expect((await server.api('GET', `${PATH}?scope=`, { token: token.token })).status).toBe(400);
    const typo = await server.api('GET', `${PATH}?scopes=tokens:read`, { token: token.token });
    expect(typo.status).toBe(400);
    expect(typo.body.message).toBe('Unknown query parameter "scopes"');
    expect(typo.headers.get('x-latchkey-error')).toBe(typo.text);

    // A name in any script: the header holds the same JSON, in ASCII.
    const euro = await server.api('GET', `${PATH}?scope=%E2%82%AC:read`, { token: token.token });
    expect(euro.status).toBe(400);
    expect(euro.body.issues).toEqual([{ path: 'scope', message: '"€:read" is not a scope of this server' }]);
    expect(euro.headers.get('x-latchkey-error')).toContain('\\u20ac:read');
    expect(JSON.parse(euro.headers.get('x-latchkey-error')!)).toEqual(euro.body);
  });
});

describe('how a proxy calls it', () => {
  it('answers any method and never reads a body, whatever its type', async () => {
    const server = await serve();
    const token = await server.createTestToken(await server.createTestUser());
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const res = await server.request(PATH, { method, headers: { authorization: `Bearer ${token.token}` } });
      expect([method, res.status]).toEqual([method, 200]);
      expect(res.headers.get('x-latchkey-token-id')).toBe(String(token.id));
    }
    const withBody = await server.request(PATH, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/octet-stream' },
      body: 'x'.repeat(100_000),
    });
    expect(withBody.status).toBe(200);
    expect(await withBody.text()).toBe('');
  });

  it('sees the client behind a trusted proxy: allowedIps and the failure limit of each address', async () => {
    const server = await serve({ config: { trustProxy: 'loopback' }, rateLimits: { authFailuresPerMinute: 3 } });
    const user = await server.createTestUser();
    const parent = await server.createTestToken(user);
    const pinned = await pinnedToken(server, parent.token, '198.51.100.9');
    const from = (ip: string) => ({ 'x-forwarded-for': ip });

    expect((await server.api('GET', PATH, { token: pinned.token, headers: from('198.51.100.9') })).status).toBe(200);
    const elsewhere = await server.api('GET', PATH, { token: pinned.token, headers: from('203.0.113.7') });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body).toEqual({ code: 'FORBIDDEN', message: 'This token may not be used from this address' });

    // A client sending made-up tokens is stopped; the others behind the same proxy are not.
    const good = await server.createTestToken(user);
    const bad = 'api_' + 'b'.repeat(36);
    for (let i = 0; i < 3; i++)
      expect((await server.api('GET', PATH, { token: bad, headers: from('203.0.113.66') })).status).toBe(401);
    const locked = await server.api('GET', PATH, { token: good.token, headers: from('203.0.113.66') });
    expect(locked.status).toBe(429);
    expect(locked.body).toEqual(TOO_MANY_REQUESTS_BODY);
    expect(JSON.parse(locked.headers.get('x-latchkey-error')!)).toEqual(TOO_MANY_REQUESTS_BODY);
    expect(rateLimitHeaders(locked.headers).retryAfter).toBeGreaterThanOrEqual(1);
    expect((await server.api('GET', PATH, { token: good.token, headers: from('203.0.113.67') })).status).toBe(200);
  });

  it('is a use of the token: last use, usage with the client address, the owner’s limit, audit', async () => {
    const server = await serve({ config: { trustProxy: 'loopback' }, rateLimits: { ownerPerMinute: 3 } });
    const user = await server.createTestUser();
    const token = await server.createTestToken(user);
    const headers = { 'x-forwarded-for': '198.51.100.20', 'user-agent': 'nginx-subrequest' };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await server.api('GET', PATH, { token: token.token, headers })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    await server.lastUsed.flush();

    const client = server.trpc();
    await client.auth.signIn.mutate({ email: user.email, password: user.password });
    const usage = await client.apiToken.usage.query({ id: token.id });
    expect(usage.total).toEqual({ requests: 4, failed: 1 });
    expect(usage.recentIps).toMatchObject([{ ip: '198.51.100.20', userAgent: 'nginx-subrequest' }]);
    const [row] = await client.apiToken.getMany.query({});
    expect(row?.lastUsedAt).toBeInstanceOf(Date);

    // A refusal for the address list is recorded like one of /api/v1.
    server.clock.advance(60_000);
    const pinned = await pinnedToken(server, token.token, '192.0.2.1');
    expect((await server.api('GET', PATH, { token: pinned.token, headers })).status).toBe(403);
    await expect
      .poll(async () => {
        const { events } = await getAuditEvents({ db: server.db, userId: user.id, type: 'token.ip_refused' });
        return events.map((event) => [event.tokenId, event.ip]);
      })
      .toEqual([[pinned.id, '198.51.100.20']]);
  });
});
