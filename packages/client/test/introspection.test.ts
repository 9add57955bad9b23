// createIntrospectionClient and requireToken against a recording fetch: the request each makes
// (Basic credentials form-encoded, the token and client_ip as a form), how answers and refusals
// come back, and the middleware's answers and cache. Against a real server: apps/api's tests.
import { describe, expect, it } from 'vitest';
import {
  createIntrospectionClient,
  IntrospectionError,
  requireToken,
  tokenOf,
  type ActiveIntrospection,
  type RequestLike,
} from '../src/index';

const CLIENT = { baseUrl: 'https://keys.example.com/', clientId: 'svc_client', clientSecret: 'lks_se:cret' };
const TOKEN = `api_${'a'.repeat(36)}`;

const ACTIVE: ActiveIntrospection = {
  active: true,
  scope: 'invoices:read tokens:read',
  token_type: 'Bearer',
  sub: 'user:7',
  username: 'ada@example.com',
  iat: 1_700_000_000,
  exp: 1_700_003_600,
  iss: 'https://keys.example.com',
  jti: '12',
  latchkey: { tokenId: 12, name: 'ci', userId: 7, teamId: null, teamSlug: null, allowedIps: [] },
};

/** A fetch that records each request and answers with `status`, `body` and `headers`. */
function recordingFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const requests: { method: string; url: string; authorization: string | null; type: string | null; body: string }[] =
    [];
  const fetch = async (request: Request) => {
    requests.push({
      method: request.method,
      url: request.url,
      authorization: request.headers.get('authorization'),
      type: request.headers.get('content-type'),
      body: await request.text(),
    });
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return new Response(text, { status, headers: { 'content-type': 'application/json', ...headers } });
  };
  return { fetch, requests };
}

describe('createIntrospectionClient', () => {
  it('POSTs the token as a form to /api/v1/introspect with Basic credentials (each part form-encoded)', async () => {
    const { fetch, requests } = recordingFetch(200, ACTIVE);
    const client = createIntrospectionClient({ ...CLIENT, fetch });
    expect(await client.introspect(TOKEN, { clientIp: '203.0.113.5' })).toEqual(ACTIVE);
    expect(requests).toEqual([
      {
        method: 'POST',
        url: 'https://keys.example.com/api/v1/introspect',
        // The colon inside the secret is encoded, so the server splits at the right one.
        authorization: `Basic ${btoa('svc_client:lks_se%3Acret')}`,
        type: 'application/x-www-form-urlencoded',
        body: `token=${TOKEN}&client_ip=203.0.113.5`,
      },
    ]);
  });

  it('gives back {active:false} as it came', async () => {
    const { fetch } = recordingFetch(200, { active: false });
    expect(await createIntrospectionClient({ ...CLIENT, fetch }).introspect(TOKEN)).toEqual({ active: false });
  });

  it('rejects with an IntrospectionError carrying the status, body and Retry-After', async () => {
    const refused = recordingFetch(401, { error: 'invalid_client' });
    const error = await createIntrospectionClient({ ...CLIENT, fetch: refused.fetch })
      .introspect(TOKEN)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntrospectionError);
    expect(error).toMatchObject({ status: 401, body: { error: 'invalid_client' }, retryAfter: undefined });
    expect((error as Error).message).toBe('Latchkey introspection answered 401: invalid_client');

    const limited = recordingFetch(429, { code: 'TOO_MANY_REQUESTS', message: 'Too many' }, { 'retry-after': '12' });
    const later = await createIntrospectionClient({ ...CLIENT, fetch: limited.fetch })
      .introspect(TOKEN)
      .catch((e: unknown) => e);
    expect(later).toMatchObject({ status: 429, retryAfter: 12 });

    const garbled = recordingFetch(200, 'not json');
    await expect(createIntrospectionClient({ ...CLIENT, fetch: garbled.fetch }).introspect(TOKEN)).rejects.toThrow(
      IntrospectionError,
    );
  });

  it('refuses options it cannot use, with a clear message', () => {
    expect(() => createIntrospectionClient({ ...CLIENT, baseUrl: 'keys.example.com' })).toThrow(
      'createIntrospectionClient: `baseUrl` must be an http(s) URL',
    );
    expect(() => createIntrospectionClient({ ...CLIENT, clientSecret: ' ' })).toThrow('`clientSecret` must be');
    expect(() => createIntrospectionClient({ ...CLIENT, clientId: '' })).toThrow('`clientId` must be');
  });
});

/** A response that records what the middleware answered. */
function recordingResponse() {
  const answer: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const res = {
    status(code: number) {
      answer.status = code;
      return res;
    },
    setHeader(name: string, value: string) {
      answer.headers[name.toLowerCase()] = value;
    },
    json(body: unknown) {
      answer.body = body;
    },
  };
  return { res, answer };
}

/** Runs the middleware on a request with `authorization`; resolves once it answered or called next. */
async function run(middleware: ReturnType<typeof requireToken>, authorization?: string, ip = '198.51.100.4') {
  const req: RequestLike = { headers: { authorization }, ip };
  const { res, answer } = recordingResponse();
  let nextCalled = false;
  await new Promise<void>((resolve) => {
    const original = res.json.bind(res);
    res.json = (body: unknown) => {
      original(body);
      resolve();
    };
    middleware(req, res, () => {
      nextCalled = true;
      resolve();
    });
  });
  return { req, answer, nextCalled };
}

describe('requireToken', () => {
  it('lets an active token with every scope through; the answer is on req (tokenOf); its address is sent', async () => {
    const { fetch, requests } = recordingFetch(200, ACTIVE);
    const middleware = requireToken({ ...CLIENT, fetch, scopes: ['invoices:read'] });
    const { req, nextCalled } = await run(middleware, `bearer ${TOKEN}`);
    expect(nextCalled).toBe(true);
    expect(tokenOf(req)).toEqual(ACTIVE);
    expect(requests[0]?.body).toBe(`token=${TOKEN}&client_ip=198.51.100.4`);
  });

  it('answers as Latchkey: 401 missing or inactive (WWW-Authenticate), 403 naming the missing scopes', async () => {
    const inactive = requireToken({ ...CLIENT, fetch: recordingFetch(200, { active: false }).fetch });
    expect((await run(inactive)).answer).toEqual({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="api"' },
      body: { code: 'UNAUTHORIZED', message: 'API token was not provided' },
    });
    for (const header of [TOKEN, 'Bearer two words', `Bearer ${TOKEN}`]) {
      expect((await run(inactive, header)).answer, header).toEqual({
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' },
        body: { code: 'UNAUTHORIZED', message: 'Invalid token' },
      });
    }
    const narrow = requireToken({
      ...CLIENT,
      fetch: recordingFetch(200, ACTIVE).fetch,
      scopes: ['invoices:read', 'invoices:write', 'audit:read'],
    });
    const { answer, nextCalled } = await run(narrow, TOKEN);
    expect(nextCalled).toBe(false);
    expect(answer).toEqual({
      status: 403,
      headers: {},
      body: { code: 'FORBIDDEN', message: 'This token lacks the scope invoices:write, audit:read' },
    });
  });

  it('answers a JSON 500 without detail when Latchkey cannot be asked, and tells onError', async () => {
    const errors: unknown[] = [];
    const middleware = requireToken({
      ...CLIENT,
      fetch: recordingFetch(401, { error: 'invalid_client' }).fetch,
      onError: (error) => errors.push(error),
    });
    const { answer } = await run(middleware, TOKEN);
    expect(answer).toEqual({
      status: 500,
      headers: {},
      body: { code: 'INTERNAL_ERROR', message: 'The token could not be checked' },
    });
    expect(errors).toEqual([expect.any(IntrospectionError)]);
  });

  it('with cacheSeconds, keeps an active answer per token and address until then or the token’s expiry', async () => {
    let time = ACTIVE.iat * 1000;
    const { fetch, requests } = recordingFetch(200, ACTIVE);
    const middleware = requireToken({ ...CLIENT, fetch, cacheSeconds: 30, now: () => time });
    await run(middleware, TOKEN);
    await run(middleware, TOKEN);
    expect(requests).toHaveLength(1);
    await run(middleware, TOKEN, '198.51.100.99');
    expect(requests).toHaveLength(2);
    time += 30_000;
    await run(middleware, TOKEN);
    expect(requests).toHaveLength(3);
    // Never past the token's expiry: 10 s before it, an answer is kept 10 s, not 30.
    time = ACTIVE.exp! * 1000 - 10_000;
    await run(middleware, TOKEN);
    time += 10_000;
    await run(middleware, TOKEN);
    expect(requests).toHaveLength(5);
  });

  it('without cacheSeconds, asks on every request', async () => {
    const { fetch, requests } = recordingFetch(200, ACTIVE);
    const middleware = requireToken({ ...CLIENT, fetch });
    await run(middleware, TOKEN);
    await run(middleware, TOKEN);
    expect(requests).toHaveLength(2);
  });
});
