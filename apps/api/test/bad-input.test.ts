// Bad input of every kind gets a 4xx with the JSON error body, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedApiToken } from '@latchkey/lib';
import { startServer, type TestServer } from './support/server';

let server: TestServer;
let token: CreatedApiToken;

beforeAll(async () => {
  server = await startServer();
  const user = await server.createTestUser('Input');
  token = await server.createTestToken(user, { name: 'input tester' });
});
afterAll(async () => {
  await server?.close();
});

async function tokenCount(): Promise<number> {
  const rows = await server.db.selectFrom('api_tokens').select('id').execute();
  return rows.length;
}

/** `{code, message}`, plus `issues` when the body failed validation; nothing else. */
function expectErrorBody(body: unknown, code: string) {
  expect(body).toMatchObject({ code, message: expect.any(String) });
  const { code: _code, message: _message, issues, ...rest } = body as Record<string, unknown>;
  expect(rest).toEqual({});
  if (issues !== undefined)
    expect(issues).toEqual(expect.arrayContaining([{ path: expect.any(String), message: expect.any(String) }]));
}

describe('request bodies', () => {
  it('answers 400 INVALID_BODY to malformed JSON', async () => {
    const res = await server.api('POST', '/api/v1/tokens', { token: token.token, rawBody: '{"name": "x",' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'INVALID_BODY', message: 'Request body is not valid JSON' });
  });

  it('still sends the rate-limit and CORS headers with a body the parser refused', async () => {
    for (const rawBody of ['{oops', JSON.stringify({ name: 'x'.repeat(17 * 1024) })]) {
      const res = await server.api('POST', '/api/v1/tokens', { token: token.token, rawBody });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('x-ratelimit-limit')).toMatch(/^\d+$/);
      expect(res.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
      expect(res.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  it('answers 413 to a body over 16 KB, creating nothing', async () => {
    const before = await tokenCount();
    const res = await server.api('POST', '/api/v1/tokens', {
      token: token.token,
      body: { name: 'big', padding: 'x'.repeat(16 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large (16 KB at most)' });
    expect(await tokenCount()).toBe(before);
  });

  it('accepts a body just under 16 KB', async () => {
    // Padded with white space the name loses to trimming: any unknown field would be refused.
    const body = { name: 'just fits' };
    body.name = `${' '.repeat(16 * 1024 - JSON.stringify(body).length)}just fits`;
    expect(JSON.stringify(body).length).toBe(16 * 1024);
    const res = await server.api('POST', '/api/v1/tokens', { token: token.token, body });
    expect(res.status).toBe(201);
  });

  it('answers 400 INVALID_BODY to JSON that is not an object', async () => {
    for (const rawBody of ['[]', '"name"', '42', 'null']) {
      const res = await server.api('POST', '/api/v1/tokens', { token: token.token, rawBody });
      expect(res.status, rawBody).toBe(400);
      expectErrorBody(res.body, 'INVALID_BODY');
      expect(res.body.message, rawBody).toBe('Request body must be a JSON object');
    }
  });

  // 415 since the hardening rules (API.md): a body of a type no route takes is refused before it is read.
  it('answers 415 UNSUPPORTED_MEDIA_TYPE to a body that is not sent as JSON', async () => {
    const res = await server.api('POST', '/api/v1/tokens', {
      token: token.token,
      rawBody: '{"name":"plain text"}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'Send the body as JSON, with Content-Type: application/json',
    });
  });

  it('answers 400 INVALID_BODY, with issues, to a POST /tokens without a name', async () => {
    const res = await server.api('POST', '/api/v1/tokens', { token: token.token });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_BODY');
    expect(res.body.issues).toEqual([{ path: 'name', message: 'Name is required' }]);
    expect(res.body.message).toBe('Name is required');
  });

  it('says "Name is required", not "Name must be text", to an empty JSON body and to {}', async () => {
    for (const rawBody of ['', '{}']) {
      const res = await server.api('POST', '/api/v1/tokens', {
        token: token.token,
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status, JSON.stringify(rawBody)).toBe(400);
      expect(res.body, JSON.stringify(rawBody)).toEqual({
        code: 'INVALID_BODY',
        message: 'Name is required',
        issues: [{ path: 'name', message: 'Name is required' }],
      });
    }
  });

  it('names every unknown field, so a typo such as expires_in does not pass silently', async () => {
    const before = await tokenCount();
    const res = await server.api('POST', '/api/v1/tokens', {
      token: token.token,
      body: { name: 'typo', expires_in: 'NEVER', scope: [] },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: 'INVALID_BODY',
      message: 'Unknown field "expires_in"',
      issues: [
        { path: 'expires_in', message: 'Unknown field "expires_in"' },
        { path: 'scope', message: 'Unknown field "scope"' },
      ],
    });
    expect(await tokenCount()).toBe(before);
  });

  it('says a JSON null body must be an object, not that it is not JSON', async () => {
    const res = await server.api('POST', '/api/v1/tokens', { token: token.token, rawBody: 'null' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'INVALID_BODY', message: 'Request body must be a JSON object' });
  });

  it('words a range error once: "limit must be at least 1"', async () => {
    const res = await server.api('GET', '/api/v1/tokens?limit=0', { token: token.token });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('limit must be at least 1');
  });
});

describe('expiresIn', () => {
  it('answers 400 (never 500) to any value outside the list, creating nothing', async () => {
    const before = await tokenCount();
    for (const expiresIn of ['FOREVER', 'never', 'TWO_DAYS', '', 7, null, true, { days: 7 }, ['NEVER']]) {
      const res = await server.api('POST', '/api/v1/tokens', {
        token: token.token,
        body: { name: 'odd expiry', expiresIn },
      });
      expect(res.status, JSON.stringify(expiresIn)).toBe(400);
      expect(res.body.code).toBe('INVALID_BODY');
      expect(res.body.issues[0]).toEqual({
        path: 'expiresIn',
        message: 'Expiry must be one of NEVER, SEVEN_DAYS, ONE_MONTH, THREE_MONTHS, SIX_MONTHS, ONE_YEAR',
      });
    }
    expect(await tokenCount()).toBe(before);
  });

  it('accepts every listed value', async () => {
    for (const expiresIn of ['NEVER', 'SEVEN_DAYS', 'ONE_MONTH', 'THREE_MONTHS', 'SIX_MONTHS', 'ONE_YEAR']) {
      const res = await server.api('POST', '/api/v1/tokens', {
        token: token.token,
        body: { name: `expires ${expiresIn}`, expiresIn },
      });
      expect(res.status, expiresIn).toBe(201);
    }
  });
});

describe('wrong types and values', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['a numeric name', { name: 12345 }, 'name'],
    ['a name of control characters', { name: 'bad\u0000name' }, 'name'],
    ['a name with a zero-width space', { name: 'zero\u200bwidth' }, 'name'],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
    ['scopes as a string', { name: 'scoped', scopes: 'tokens:read' }, 'scopes'],
    ['an empty scope list', { name: 'scoped', scopes: [] }, 'scopes'],
    ['a badly formed scope', { name: 'scoped', scopes: ['Tokens Read'] }, 'scopes.0'],
  ];
  for (const [what, body, path] of cases) {
    it(`answers 400 INVALID_BODY to ${what}`, async () => {
      const res = await server.api('POST', '/api/v1/tokens', { token: token.token, body });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('INVALID_BODY');
      expect(res.body.issues[0].path).toBe(path);
    });
  }
});

describe('?limit= and ?cursor=', () => {
  for (const query of [
    'limit=0',
    'limit=101',
    'limit=abc',
    'limit=1&limit=2',
    'limit=-1',
    'limit=1.5',
    'limit=',
    'cursor=0',
    'cursor=x',
  ]) {
    it(`answers 400 INVALID_REQUEST to ?${query}`, async () => {
      const res = await server.api('GET', `/api/v1/tokens?${query}`, { token: token.token });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('INVALID_REQUEST');
      expect(res.body.issues[0].path).toBe(query.split('=')[0]);
    });
  }

  it('accepts limit=1 and limit=100', async () => {
    const one = await server.api('GET', '/api/v1/tokens?limit=1', { token: token.token });
    expect(one.status).toBe(200);
    expect(one.body.tokens).toHaveLength(1);
    expect((await server.api('GET', '/api/v1/tokens?limit=100', { token: token.token })).status).toBe(200);
  });
});

describe(':id', () => {
  for (const id of ['abc', '0', '-1', '1.5', '1e3', 'SELF', '12345678901234567', '%20']) {
    it(`answers 400 INVALID_REQUEST to /tokens/${id}`, async () => {
      for (const [method, suffix] of [
        ['GET', ''],
        ['DELETE', ''],
        ['POST', '/rotate'],
      ] as const) {
        const res = await server.api(method, `/api/v1/tokens/${id}${suffix}`, { token: token.token });
        expect(res.status, `${method} ${id}`).toBe(400);
        expect(res.body).toEqual({
          code: 'INVALID_REQUEST',
          message: 'Token id must be a positive whole number or `self`',
          issues: [{ path: 'id', message: 'Token id must be a positive whole number or `self`' }],
        });
      }
    });
  }

  it('answers 404 to a well-formed id that does not exist', async () => {
    const res = await server.api('GET', '/api/v1/tokens/9007199254740991', { token: token.token });
    expect(res.status).toBe(404);
  });
});

describe('unknown paths', () => {
  for (const [method, path] of [
    ['GET', '/api/nope'],
    ['GET', '/api/v1/nope'],
    ['GET', '/api/v2/tokens'],
  ] as const) {
    it(`answers ${method} ${path} with a JSON 404`, async () => {
      const res = await server.api(method, path, { token: token.token });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual({ code: 'NOT_FOUND', message: `No such endpoint: ${method} ${path}` });
    });
  }
});

describe('finding the route (the REST API matches paths itself, as express would)', () => {
  it('takes the prefix and fixed paths in any case, with one trailing slash, and serves HEAD with GET', async () => {
    for (const path of ['/api/v1/me', '/API/V1/me', '/api/v1/ME', '/api/v1/me/']) {
      const res = await server.api('GET', path, { token: token.token });
      expect([path, res.status, res.body?.token?.id]).toEqual([path, 200, token.id]);
    }
    // The route is found whatever the query string; one it does not take is then refused, by name.
    const withQuery = await server.api('GET', '/api/v1/ME/?x=1', { token: token.token });
    expect([withQuery.status, withQuery.body?.issues]).toEqual([
      400,
      [{ path: 'x', message: 'Unknown query parameter "x"' }],
    ]);
    const head = await server.api('HEAD', '/api/v1/me', { token: token.token });
    expect([head.status, head.text]).toEqual([200, '']);
    expect(head.headers.get('x-ratelimit-limit')).toMatch(/^\d+$/);
    const byId = await server.api('GET', `/api/v1/Tokens/${token.id}/`, { token: token.token });
    expect([byId.status, byId.body?.id]).toEqual([200, token.id]);
  });

  it('answers a path beside the prefix, or the prefix alone, with the JSON 404 and no token check', async () => {
    for (const path of ['/api/v1x/me', '/api/v1', '/api/v1/', '/api/v1/me/extra', '/api/v1/tokens/1/rotate/x']) {
      const res = await server.api('GET', path, { authorization: 'Bearer not-a-token' });
      expect([path, res.status, res.body?.code]).toEqual([path, 404, 'NOT_FOUND']);
    }
    // Under /api/v1 the 404 is counted against the address like every answer there.
    const counted = await server.api('GET', '/api/v1/nope');
    expect(counted.headers.get('x-ratelimit-limit')).toMatch(/^\d+$/);
    expect(counted.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers a badly escaped parameter with 400, and a well escaped one as its character', async () => {
    const bad = await server.api('GET', '/api/v1/tokens/%E0%A4%A', { token: token.token });
    expect([bad.status, bad.body]).toEqual([
      400,
      { code: 'INVALID_REQUEST', message: 'The URL is not validly percent-encoded' },
    ]);
    // The id's first digit sent as %3N: decoded before the route reads it.
    const id = String(token.id);
    const escaped = await server.api('GET', `/api/v1/tokens/%3${id[0]}${id.slice(1)}`, { token: token.token });
    expect([escaped.status, escaped.body?.id]).toEqual([200, token.id]);
  });
});

describe('known paths with a method they do not serve', () => {
  for (const [method, path, allow] of [
    ['POST', '/api/v1/me', 'GET, HEAD'],
    ['PUT', '/api/v1/tokens', 'GET, HEAD, POST'],
    ['PATCH', '/api/v1/tokens/1', 'GET, HEAD, DELETE'],
    ['GET', '/api/v1/tokens/1/rotate', 'POST'],
  ] as const) {
    it(`answers ${method} ${path} with 405 METHOD_NOT_ALLOWED and Allow: ${allow}`, async () => {
      const res = await server.api(method, path, { token: token.token });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.body).toEqual({ code: 'METHOD_NOT_ALLOWED', message: expect.stringContaining(allow) });
    });
  }
});

describe('unexpected failures', () => {
  it('answer 500 INTERNAL_ERROR with no stack trace or SQL, and log the detail', async () => {
    const broken = await startServer();
    try {
      const user = await broken.createTestUser('Broken');
      const created = await broken.createTestToken(user);
      await broken.db.destroy();
      const res = await broken.api('GET', '/api/v1/me', { token: created.token });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
      await broken.settleLogs();
      expect(broken.logs.some((line) => line.includes('"level":50') && line.includes('unhandled error'))).toBe(true);
      expect(broken.leakedSecrets()).toEqual([]);
    } finally {
      await broken.close().catch(() => {});
    }
  });
});

describe('logs', () => {
  it('hold no plain token, password or session id', () => {
    expect(server.logs.length).toBeGreaterThan(10);
    expect(server.leakedSecrets()).toEqual([]);
  });
});
