// Request bodies on every path (API.md, "Hardening rules"): JSON only where a route takes a body,
// 16 KB at most (64 KB for a leak report); any other type, a compressed body or one in another
// charset is refused with 415, and one over its limit with 413, before it is read. On /api/trpc
// the refusals come in tRPC's error shape, which the web UI's client reads; elsewhere as
// `{code, message}`. tRPC's input in the URL is held to the same nesting limit as a body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedApiToken } from '@latchkey/lib';
import { rawHttp } from './reliability/support/http';
import { startServer, type TestServer } from './support/server';

let server: TestServer;
let token: CreatedApiToken;
let port: number;

beforeAll(async () => {
  server = await startServer();
  port = Number(new URL(server.url).port);
  const user = await server.createTestUser('Bodies');
  token = await server.createTestToken(user, { name: 'bodies' });
});
afterAll(async () => {
  await server?.close();
});

async function tokenCount(): Promise<number> {
  return (await server.db.selectFrom('api_tokens').select('id').execute()).length;
}

/** A POST of `body` with `headers` (none set for you: a byte body gets no Content-Type from fetch). */
async function post(path: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const response = await server.request(path, { method: 'POST', headers, body });
  const text = await response.text();
  const parsed: any = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed };
}

/** The code and message of an error in tRPC's shape (`{error: {json: {message, data: {code}}}}`). */
function trpcErrorOf(body: any): { code: string; message: string } {
  const error = body?.error?.json;
  return { code: error?.data?.code, message: error?.message };
}

const NOT_JSON: Array<[string, Record<string, string>]> = [
  ['text/plain', { 'content-type': 'text/plain' }],
  ['a form', { 'content-type': 'application/x-www-form-urlencoded' }],
  ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }],
  ['octet-stream', { 'content-type': 'application/octet-stream' }],
  ['no Content-Type', {}],
];
const SEND_JSON = 'Send the body as JSON, with Content-Type: application/json';

describe('a body of a type nothing there takes: 415, before it is read', () => {
  for (const [what, headers] of NOT_JSON) {
    it(`refuses ${what} on the REST API, creating nothing, with the headers of every /api/v1 answer`, async () => {
      const before = await tokenCount();
      const res = await post('/api/v1/tokens', new TextEncoder().encode('{"name":"not json"}'), {
        ...headers,
        authorization: `Bearer ${token.token}`,
      });
      expect(res.status).toBe(415);
      expect(res.body).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', message: SEND_JSON });
      expect(res.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await tokenCount()).toBe(before);
    });

    it(`refuses ${what} on tRPC, in tRPC's error shape, before the procedure runs`, async () => {
      const res = await post('/api/trpc/auth.signUp', new TextEncoder().encode('x=1'), headers);
      expect(res.status).toBe(415);
      expect(trpcErrorOf(res.body)).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', message: SEND_JSON });
    });
  }

  it('refuses a compressed body and one in another charset than UTF-8', async () => {
    for (const [headers, message] of [
      [{ 'content-encoding': 'gzip' }, 'Send the body uncompressed, without Content-Encoding'],
      [{ 'content-type': 'application/json; charset=utf-16le' }, 'Send the body as UTF-8 JSON'],
      [{ 'content-type': 'application/json; charset=latin1' }, 'Send the body as UTF-8 JSON'],
    ] as const) {
      const all = { 'content-type': 'application/json', ...headers };
      const rest = await post('/api/v1/tokens', '{"name":"x"}', { ...all, authorization: `Bearer ${token.token}` });
      expect([rest.status, rest.body]).toEqual([415, { code: 'UNSUPPORTED_MEDIA_TYPE', message }]);
      const trpc = await post('/api/trpc/auth.signIn', '{"json":{}}', all);
      expect([trpc.status, trpcErrorOf(trpc.body)]).toEqual([415, { code: 'UNSUPPORTED_MEDIA_TYPE', message }]);
    }
  });

  it('takes UTF-8 JSON under any of its names on the REST API', async () => {
    for (const type of [
      'application/json; charset=UTF-8',
      'application/json;charset="utf8"',
      'application/vnd.api+json',
    ]) {
      const res = await post('/api/v1/tokens', JSON.stringify({ name: `typed ${type}` }), {
        'content-type': type,
        authorization: `Bearer ${token.token}`,
      });
      expect(res.status, type).toBe(201);
    }
  });

  it('refuses a body on a REST route that takes none, unless it is JSON (which is not read)', async () => {
    const send = (type: string) =>
      rawHttp(
        port,
        `GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token.token}\r\n` +
          `Content-Type: ${type}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      );
    const text = await send('text/plain');
    expect([text.status, JSON.parse(text.body)]).toEqual([415, { code: 'UNSUPPORTED_MEDIA_TYPE', message: SEND_JSON }]);
    expect((await send('application/json')).status).toBe(200);
  });

  it('refuses any body where nothing takes one: the site, health, the API reference, unknown /api paths', async () => {
    for (const path of ['/', '/api/health', '/api/docs', '/api/docs/assets/standalone.js', '/api/nothing', '/x']) {
      const res = await post(path, '{}', { 'content-type': 'application/json' });
      expect([path, res.status, res.body]).toEqual([
        path,
        415,
        { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Nothing here takes a request body' },
      ]);
    }
  });
});

describe('a JSON body over its limit: 413, read no further', () => {
  it('on tRPC, declared or streamed, in tRPC shape', async () => {
    const big = JSON.stringify({ json: { email: 'a@example.com', password: 'x'.repeat(17 * 1024) } });
    const declared = await post('/api/trpc/auth.signIn', big, { 'content-type': 'application/json' });
    const streamed = await server.request('/api/trpc/auth.signIn', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    });
    for (const res of [declared, { status: streamed.status, body: await streamed.json() }]) {
      expect(res.status).toBe(413);
      expect(trpcErrorOf(res.body)).toEqual({
        code: 'PAYLOAD_TOO_LARGE',
        message: 'Request body is too large (16 KB at most)',
      });
    }
  });

  it('takes a leak report of up to 64 KB, and refuses one over it', async () => {
    const report = (count: number) =>
      JSON.stringify({ credentials: Array.from({ length: count }, () => 'x'.repeat(60)) });
    const fits = await post('/api/v1/credentials/revoke', report(900), { 'content-type': 'application/json' });
    expect(report(900).length).toBeGreaterThan(32 * 1024);
    expect(fits.status).toBe(202);
    const over = await post('/api/v1/credentials/revoke', report(1000) + ' '.repeat(6000), {
      'content-type': 'application/json',
    });
    expect([over.status, over.body]).toEqual([
      413,
      { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large (64 KB at most)' },
    ]);
  });
});

describe("tRPC's own requests go through as before", () => {
  it('takes a mutation sent with no body at all, as a link sends one without input', async () => {
    const headerSets: Array<Record<string, string>> = [
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json', 'content-length': '0' },
    ];
    for (const headers of headerSets) {
      const res = await server.request('/api/trpc/auth.signOut', { method: 'POST', headers });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ result: { data: { json: { ok: true } } } });
    }
    await server.trpc({ batch: false }).auth.signOut.mutate();
    await server.trpc().auth.signOut.mutate();
  });

  it('answers a query sent with a small JSON body as if it had none', async () => {
    const res = await rawHttp(
      port,
      'GET /api/trpc/auth.me HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n' +
        'Connection: close\r\n\r\n{}',
    );
    expect([res.status, JSON.parse(res.body)]).toEqual([200, { result: { data: { json: { user: null } } } }]);
  });
});

describe("tRPC's input in the URL", () => {
  const deep = (levels: number) => `{"json":${'['.repeat(levels)}${']'.repeat(levels)}}`;

  it('is refused with 400 when nested deeper than a body may be, in a query or a batch', async () => {
    // Brackets need no escaping in a query: 7000 levels fit in a URL.
    const cases: Array<[string, string]> = [
      ['apiToken.getMany', deep(7000)],
      ['auth.me', `{"json":{"x":${'{"a":'.repeat(65)}1${'}'.repeat(65)}}}`],
      ['auth.me,apiToken.getMany?batch=1&', `{"0":${deep(100)}}`],
    ];
    for (const [path, input] of cases) {
      const url = `/api/trpc/${path}${path.includes('?') ? '' : '?'}input=${input}`;
      const res = await server.request(url);
      expect(res.status, url.slice(0, 40)).toBe(400);
      expect(trpcErrorOf(await res.json())).toEqual({
        code: 'BAD_REQUEST',
        message: 'The input is nested too deeply (64 levels at most)',
      });
    }
  });

  it('is taken as before when nested as real inputs are', async () => {
    const res = await server.request(`/api/trpc/auth.me?input=${encodeURIComponent(deep(60))}`);
    expect(res.status).toBe(200);
  });
});
