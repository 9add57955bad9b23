// Headers, CORS, the same-origin rule for tRPC mutations, the session cookie, and secrets kept
// out of the database and the log.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import superjson from 'superjson';
import { hashSecret } from '@latchkey/lib';
import { DAY, HOST_SESSION_COOKIE, SESSION_COOKIE, startServer, trpcError, type TestServer } from './support/server';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
});

describe('security headers', () => {
  it('come with every response: API, docs, health and the root page', async () => {
    for (const path of [
      '/api/health',
      '/api/docs',
      '/api/v1/openapi.json',
      '/api/v1/me',
      '/api/nope',
      '/',
      '/api/trpc/auth.me',
    ]) {
      const res = await server.request(path);
      const h = res.headers;
      expect(h.get('x-content-type-options'), path).toBe('nosniff');
      expect(h.get('x-frame-options'), path).toBe('DENY');
      expect(h.get('referrer-policy'), path).toBe('no-referrer');
      expect(h.get('content-security-policy'), path).toContain("default-src 'self'");
      expect(h.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(h.get('x-powered-by'), path).toBeNull();
      expect(h.get('x-request-id'), path).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
      // Served over plain http here: no HSTS.
      expect(h.get('strict-transport-security'), path).toBeNull();
    }
  });
});

describe('caching', () => {
  it('is forbidden for every answer of /api/v1 and /api/trpc: successes, errors, 404s, 405s, 413s, 415s', async () => {
    const user = await server.createTestUser('Cache');
    const created = await server.createTestToken(user);
    const auth = { authorization: `Bearer ${created.token}` };
    const json = { 'content-type': 'application/json' };
    const answers: Array<[string, Promise<Response>]> = [
      ['GET /api/v1/me', server.request('/api/v1/me', { headers: auth })],
      ['GET /api/v1/tokens', server.request('/api/v1/tokens', { headers: auth })],
      ['401', server.request('/api/v1/me')],
      ['GET /API/V1/ME', server.request('/API/V1/ME', { headers: auth })],
      ['404', server.request('/api/v1/nothing-here')],
      ['405', server.request('/api/v1/tokens', { method: 'PUT' })],
      ['preflight', server.request('/api/v1/me', { method: 'OPTIONS' })],
      ['openapi.json', server.request('/api/v1/openapi.json')],
      [
        '413',
        server.request('/api/v1/tokens', { method: 'POST', headers: { ...auth, ...json }, body: 'x'.repeat(17_000) }),
      ],
      ['415', server.request('/api/v1/tokens', { method: 'POST', headers: auth, body: 'text' })],
      ['tRPC query', server.request('/api/trpc/auth.me')],
      ['tRPC 401', server.request('/api/trpc/apiToken.getMany')],
      ['tRPC 404', server.request('/api/trpc/nothing.here')],
      ['tRPC 415', server.request('/api/trpc/auth.signIn', { method: 'POST', body: 'text' })],
      ['tRPC mutation', server.request('/api/trpc/auth.signOut', { method: 'POST', headers: json })],
    ];
    const limited = await startServer({ rateLimits: { ipPerMinute: 1, trpcPerMinute: 1 } });
    try {
      for (const path of ['/api/v1/me', '/api/trpc/auth.me']) {
        await (await limited.request(path)).arrayBuffer();
        answers.push([`429 ${path}`, limited.request(path)]);
      }
      for (const [what, answer] of answers) {
        const res = await answer;
        await res.arrayBuffer();
        if (what.startsWith('429')) expect(res.status, what).toBe(429);
        expect(res.headers.get('cache-control'), what).toBe('no-store');
      }
    } finally {
      await limited.close();
    }
  });
});

describe('CORS', () => {
  it('lets any origin call /api/v1 and read the rate-limit headers', async () => {
    const res = await server.request('/api/v1/me', { headers: { origin: 'https://elsewhere.example' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const exposed = res.headers.get('access-control-expose-headers') ?? '';
    for (const name of [
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'Retry-After',
      'WWW-Authenticate',
    ])
      expect(exposed).toContain(name);
  });

  it('answers an OPTIONS preflight on /api/v1 with 204 and the allowed methods and headers', async () => {
    const res = await server.request('/api/v1/tokens/12', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://elsewhere.example',
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
  });

  it('opens neither tRPC nor health to other origins', async () => {
    for (const path of ['/api/trpc/auth.me', '/api/health']) {
      const res = await server.request(path, { headers: { origin: 'https://elsewhere.example' } });
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
    }
  });
});

describe('tRPC mutations and the Origin header', () => {
  it('refuses a mutation from a foreign Origin with FORBIDDEN, and it has no effect', async () => {
    const user = await server.createTestUser('Origin');
    const home = server.trpc();
    await home.auth.signIn.mutate({ email: user.email, password: user.password });
    const foreign = server.trpc({ origin: 'https://evil.example' });
    server.jarOf(foreign).session = server.jarOf(home).session;

    for (const call of [
      () => foreign.apiToken.create.mutate({ name: 'csrf token' }),
      () => foreign.team.create.mutate({ name: 'CSRF', slug: 'csrf' }),
    ]) {
      const error = await trpcError(call());
      expect(error).toMatchObject({
        code: 'FORBIDDEN',
        httpStatus: 403,
        message: 'Cross-origin requests are not allowed',
      });
    }
    expect(await home.apiToken.getMany.query()).toEqual([]);
    expect(await home.team.getMany.query()).toEqual([]);
    // The foreign page cannot sign the user out either.
    expect((await trpcError(foreign.auth.signOut.mutate())).code).toBe('FORBIDDEN');
    expect((await home.auth.me.query()).user?.id).toBe(user.id);
  });

  it('refuses a sign-in from a foreign Origin and sets no cookie', async () => {
    const user = await server.createTestUser('Phished');
    const foreign = server.trpc({ origin: 'https://evil.example' });
    expect((await trpcError(foreign.auth.signIn.mutate({ email: user.email, password: user.password }))).code).toBe(
      'FORBIDDEN',
    );
    expect(server.jarOf(foreign).session).toBeNull();
  });

  it('refuses a mutation marked Sec-Fetch-Site: cross-site, even without an Origin', async () => {
    const signOut = (headers: Record<string, string>) =>
      server.request('/api/trpc/auth.signOut', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });
    const refused = await signOut({ 'sec-fetch-site': 'cross-site' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { json: { message: string } } }).error.json.message).toBe(
      'Cross-origin requests are not allowed',
    );
    expect((await signOut({ 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('accepts a same-origin mutation and one with no Origin at all (not a browser)', async () => {
    const user = await server.createTestUser('Home');
    const same = server.trpc();
    await same.auth.signIn.mutate({ email: user.email, password: user.password });
    expect((await same.apiToken.create.mutate({ name: 'same origin' })).name).toBe('same origin');
    const none = server.trpc({ origin: null });
    server.jarOf(none).session = server.jarOf(same).session;
    expect((await none.apiToken.create.mutate({ name: 'no origin' })).name).toBe('no origin');
  });

  it('still answers queries from a foreign Origin (CORS keeps the answer from that page)', async () => {
    const foreign = server.trpc({ origin: 'https://evil.example' });
    expect(await foreign.auth.me.query()).toEqual({ user: null });
  });

  it('compares the Origin with PUBLIC_URL when one is configured', async () => {
    const behindProxy = await startServer({ config: { publicUrl: 'https://tokens.example.com' } });
    try {
      const user = await behindProxy.createTestUser('Proxied');
      const local = behindProxy.trpc();
      expect((await trpcError(local.auth.signIn.mutate({ email: user.email, password: user.password }))).code).toBe(
        'FORBIDDEN',
      );
      const public_ = behindProxy.trpc({ origin: 'https://tokens.example.com' });
      expect((await public_.auth.signIn.mutate({ email: user.email, password: user.password })).user.id).toBe(user.id);
      expect(behindProxy.leakedSecrets()).toEqual([]);
    } finally {
      await behindProxy.close();
    }
  });
});

/** A request with any `Host` header (fetch will not set one), as a browser sends it; the tRPC error message, if any. */
function requestUnderHost(
  target: TestServer,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; message: string | undefined; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: new URL(target.url).port,
        method: body === undefined ? 'GET' : 'POST',
        path,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          const parsed = JSON.parse(text) as { error?: { json: { message: string } } };
          resolve({
            status: res.statusCode!,
            message: parsed.error?.json.message,
            setCookie: res.headers['set-cookie'] ?? [],
          });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function postUnderHost(target: TestServer, procedure: string, input: unknown, headers: Record<string, string>) {
  return requestUnderHost(target, `/api/trpc/${procedure}`, headers, JSON.stringify(superjson.serialize(input)));
}

describe('tRPC mutations and the Host header, without PUBLIC_URL (DNS rebinding)', () => {
  it('refuses sign-up, sign-in and any other mutation under a name with 403 naming PUBLIC_URL', async () => {
    const user = await server.createTestUser('Rebound');
    const email = `rebound-${Date.now()}@example.com`;
    for (const host of ['rebind.example', 'rebind.example:3000', 'localhost.rebind.example', '127.0.0.1.nip.io']) {
      // A rebound page is same-origin under its own name: its Origin matches its Host.
      const headers = { host, origin: `http://${host}` };
      const signUp = await postUnderHost(
        server,
        'auth.signUp',
        { name: 'Nobody', email, password: 'a long passphrase' },
        headers,
      );
      const signIn = await postUnderHost(
        server,
        'auth.signIn',
        { email: user.email, password: user.password },
        headers,
      );
      const signOut = await postUnderHost(server, 'auth.signOut', undefined, headers);
      for (const answer of [signUp, signIn, signOut]) {
        expect(answer, host).toMatchObject({ status: 403, setCookie: [] });
        expect(answer.message, host).toMatch(/PUBLIC_URL/);
      }
    }
    expect(await server.db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);
    expect(await server.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()).toEqual([]);
  });

  it('refuses a mutation whose X-Forwarded-Host is a name, whatever the Host', async () => {
    const answer = await postUnderHost(server, 'auth.signOut', undefined, {
      host: '127.0.0.1',
      'x-forwarded-host': 'rebind.example',
    });
    expect(answer.status).toBe(403);
    expect(answer.message).toMatch(/PUBLIC_URL/);
  });

  it('accepts mutations under localhost, *.localhost and IPv4 or IPv6 addresses, with or without a port', async () => {
    const user = await server.createTestUser('Local');
    const signIn = await postUnderHost(
      server,
      'auth.signIn',
      { email: user.email, password: user.password },
      { host: 'localhost:3000', origin: 'http://localhost:3000' },
    );
    expect(signIn.status).toBe(200);
    expect(signIn.setCookie).toEqual([expect.stringMatching(/^latchkey_session=[A-Za-z0-9_-]{43};/)]);
    for (const host of [
      'localhost',
      'LOCALHOST:3000',
      'localhost.',
      'tokens.localhost:8080',
      '127.0.0.1',
      '127.0.0.1:3000',
      '10.20.30.40:3000',
      '[::1]',
      '[::1]:3000',
      '[fe80::1]:8080',
    ]) {
      // Sign-out is a mutation that costs no password hash.
      const answer = await postUnderHost(server, 'auth.signOut', undefined, { host, origin: `http://${host}` });
      expect(answer.status, host).toBe(200);
    }
  });

  it("still answers queries under any name (the browser sends them no cookie of this server's)", async () => {
    const answer = await requestUnderHost(server, '/api/trpc/auth.me', { host: 'rebind.example' });
    expect(answer).toMatchObject({ status: 200, message: undefined });
  });

  it('with PUBLIC_URL set, leaves the Host to the proxy and checks the Origin instead', async () => {
    const behindProxy = await startServer({ config: { publicUrl: 'https://tokens.example.com' } });
    try {
      const user = await behindProxy.createTestUser('Named');
      const answer = await postUnderHost(
        behindProxy,
        'auth.signIn',
        { email: user.email, password: user.password },
        { host: 'tokens.example.com', origin: 'https://tokens.example.com' },
      );
      expect(answer.status).toBe(200);
    } finally {
      await behindProxy.close();
    }
  });
});

describe('the session cookie', () => {
  async function signInRaw(target: TestServer, email: string, password: string, origin = target.url) {
    return target.request('/api/trpc/auth.signIn', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify(superjson.serialize({ email, password })),
    });
  }

  it('is latchkey_session, HttpOnly, SameSite=Lax, Path=/, not Secure over plain http, and lasts 30 days', async () => {
    const user = await server.createTestUser('Cookie');
    const res = await signInRaw(server, user.email, user.password);
    expect(res.status).toBe(200);
    const [cookie, ...others] = res.headers.getSetCookie();
    expect(others).toEqual([]);
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    const attributes = cookie!
      .split(';')
      .slice(1)
      .map((a) => a.trim().toLowerCase());
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=lax');
    expect(attributes).toContain('path=/');
    expect(attributes).not.toContain('secure');
    const expires = attributes.find((a) => a.startsWith('expires='));
    expect(new Date(expires!.slice('expires='.length)).getTime()).toBe(
      Math.floor((server.clock.now() + 30 * DAY) / 1000) * 1000,
    );
  });

  it('is __Host-latchkey_session, Secure, Path=/ and without Domain when PUBLIC_URL is https', async () => {
    const secure = await startServer({ config: { publicUrl: 'https://tokens.example.com' } });
    try {
      const user = await secure.createTestUser('Secure');
      const res = await signInRaw(secure, user.email, user.password, 'https://tokens.example.com');
      expect(res.status).toBe(200);
      const [cookie, ...others] = res.headers.getSetCookie();
      expect(others).toEqual([]);
      expect(cookie).toMatch(new RegExp(`^${HOST_SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
      const attributes = cookie!.split(';').map((a) => a.trim().toLowerCase());
      expect(attributes).toContain('secure');
      expect(attributes).toContain('httponly');
      expect(attributes).toContain('samesite=lax');
      expect(attributes).toContain('path=/');
      expect(attributes.filter((a) => a.startsWith('domain='))).toEqual([]);
    } finally {
      await secure.close();
    }
  });

  it('under an https PUBLIC_URL, only the __Host- cookie is read; an old latchkey_session is cleared', async () => {
    const secure = await startServer({ config: { publicUrl: 'https://tokens.example.com' } });
    try {
      const user = await secure.createTestUser('Prefixed');
      const origin = 'https://tokens.example.com';
      const client = secure.trpc({ origin });
      await client.auth.signIn.mutate({ email: user.email, password: user.password });
      const sessionId = secure.jarOf(client).session!;
      const me = (cookie: string) => secure.request('/api/trpc/auth.me', { headers: { cookie } }).then((r) => r.json());
      const userOf = (answer: unknown) =>
        (answer as { result: { data: { json: { user: unknown } } } }).result.data.json.user;
      expect(userOf(await me(`${HOST_SESSION_COOKIE}=${sessionId}`))).toMatchObject({ id: user.id });
      // The unprefixed name could be planted by a sibling subdomain or a plain-http page: never read.
      expect(userOf(await me(`${SESSION_COOKIE}=${sessionId}`))).toBeNull();

      const res = await secure.request('/api/trpc/auth.signIn', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, cookie: `${SESSION_COOKIE}=${sessionId}` },
        body: JSON.stringify(superjson.serialize({ email: user.email, password: user.password })),
      });
      expect(res.status).toBe(200);
      const cookies = res.headers.getSetCookie();
      expect(cookies).toHaveLength(2);
      expect(cookies[0]).toMatch(new RegExp(`^${HOST_SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
      expect(cookies[1]).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Expires=Thu, 01 Jan 1970`));
    } finally {
      await secure.close();
    }
  });

  it('keeps the name latchkey_session, not Secure, under an http PUBLIC_URL', async () => {
    const plain = await startServer({ config: { publicUrl: 'http://tokens.internal:3000' } });
    try {
      const user = await plain.createTestUser('Plain');
      const res = await signInRaw(plain, user.email, user.password, 'http://tokens.internal:3000');
      expect(res.status).toBe(200);
      const cookie = res.headers.getSetCookie()[0]!;
      expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
      expect(cookie.toLowerCase()).not.toContain('secure');
    } finally {
      await plain.close();
    }
  });

  it('is stored only as a SHA-256 hash', async () => {
    const user = await server.createTestUser('Hashed');
    const client = server.trpc();
    await client.auth.signIn.mutate({ email: user.email, password: user.password });
    const sessionId = server.jarOf(client).session!;
    const rows = await server.db.selectFrom('sessions').selectAll().where('user_id', '=', user.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(hashSecret(sessionId));
    expect(JSON.stringify(rows)).not.toContain(sessionId);
  });

  it('stops working once signed out, even when replayed', async () => {
    const user = await server.createTestUser('Replay');
    const client = server.trpc();
    await client.auth.signIn.mutate({ email: user.email, password: user.password });
    const stolen = server.jarOf(client).session;
    await client.auth.signOut.mutate();
    const replay = server.trpc();
    server.jarOf(replay).session = stolen;
    expect(await replay.auth.me.query()).toEqual({ user: null });
    expect((await trpcError(replay.apiToken.getMany.query())).code).toBe('UNAUTHORIZED');
    expect(await server.db.selectFrom('sessions').selectAll().where('user_id', '=', user.id).execute()).toEqual([]);
  });

  it('ignores a session id in a malformed cookie', async () => {
    const client = server.trpc();
    server.jarOf(client).session = 'short';
    expect(await client.auth.me.query()).toEqual({ user: null });
  });
});

describe('secrets at rest', () => {
  it('keeps neither plain tokens nor plain passwords in the database', async () => {
    const user = await server.createTestUser('At Rest');
    const created = await server.createTestToken(user, { name: 'at rest' });
    const viaApi = await server.api('POST', '/api/v1/tokens', { token: created.token, body: { name: 'via api' } });
    const dump = JSON.stringify({
      users: await server.db.selectFrom('users').selectAll().execute(),
      sessions: await server.db.selectFrom('sessions').selectAll().execute(),
      tokens: await server.db.selectFrom('api_tokens').selectAll().execute(),
    });
    for (const secret of [created.token, viaApi.body.token, user.password]) expect(dump).not.toContain(secret);
    expect(dump).toContain(hashSecret(created.token));
    const row = await server.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$/);
  });
});

describe('logs', () => {
  it('mask a token sent in a URL', async () => {
    const user = await server.createTestUser('Url');
    const created = await server.createTestToken(user);
    const res = await server.api('GET', `/api/v1/tokens/${created.token}`, { token: created.token });
    expect(res.status).toBe(400);
    await server.settleLogs();
    expect(server.logs.some((line) => line.includes('/api/v1/tokens/api_[REDACTED]'))).toBe(true);
  });

  it('leave out tRPC input sent in a URL, where a password could be', async () => {
    const password = 'password-in-a-url-1';
    server.remember(password);
    const input = encodeURIComponent(JSON.stringify({ json: { email: 'url@example.com', password } }));
    expect((await server.request(`/api/trpc/auth.signIn?input=${input}`)).status).toBe(405);
    expect(
      (
        await server.request(`/api/trpc/auth.signIn?batch=1&input=${input}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(400);
    await server.settleLogs();
    const lines = server.logs.filter((line) => line.includes('/api/trpc/auth.signIn')).slice(-2);
    expect(lines.map((line) => JSON.parse(line).status)).toEqual([405, 400]);
    for (const line of lines) {
      expect(line).not.toContain(encodeURIComponent(password));
      expect(JSON.parse(line).url).toMatch(/^\/api\/trpc\/auth\.signIn\?\[REDACTED\]$/);
    }
  });

  it('mask secrets whatever the case of the path or the encoding of the query', async () => {
    const user = await server.createTestUser('Spelling');
    const created = await server.createTestToken(user);
    const password = 'password-in-a-url-2';
    server.remember(password);
    const input = encodeURIComponent(JSON.stringify({ json: { email: 'url@example.com', password } }));
    const encodedToken = created.token.replace('_', '%5F');
    const everyCharEncoded = [...created.token].map((char) => `%${char.charCodeAt(0).toString(16)}`).join('');
    const asked = [
      `/API/TRPC/auth.signIn?input=${input}`,
      `/api/v1/me?access_token=${encodedToken}&limit=5`,
      `/api/v1/me?x=${everyCharEncoded}`,
      `/api/v1/me?x=${created.token.replace('_', '%255F')}`,
      `/api/v1/me?password=${encodeURIComponent(password)}`,
      `/api/v1/tokens/${encodedToken}`,
    ];
    for (const path of asked)
      await (await server.request(path, { headers: { 'x-request-id': 'spelling' } })).arrayBuffer();
    await server.settleLogs();
    const urls = server.logs
      .filter((line) => line.includes('"requestId":"spelling"'))
      .map((line) => (JSON.parse(line) as { url: string }).url);
    expect(urls).toEqual([
      '/API/TRPC/auth.signIn?[REDACTED]',
      '/api/v1/me?access_token=[REDACTED]&limit=5',
      '/api/v1/me?x=[REDACTED]',
      '/api/v1/me?x=[REDACTED]',
      '/api/v1/me?password=[REDACTED]',
      '/api/v1/tokens/api_[REDACTED]',
    ]);
  });

  it('hold no plain token, password or session id, at debug level', () => {
    expect(server.app.logger.level).toBe('debug');
    expect(server.logs.length).toBeGreaterThan(20);
    expect([...server.secrets].filter((s) => /^[A-Za-z0-9_-]{43}$/.test(s)).length).toBeGreaterThan(3);
    expect(server.leakedSecrets()).toEqual([]);
  });
});
