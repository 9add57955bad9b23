// createLatchkeyClient against a recording fetch: where each request goes, with which header and
// body, and how an answer comes back. The same client against a real server is tested in apps/api.
import { describe, expect, it } from 'vitest';
import { createLatchkeyClient } from '../src/index';

const TOKEN = `api_${'a'.repeat(36)}`;

/** A fetch that records each request and answers with `status` and `body`. */
function recordingFetch(status: number, body?: unknown) {
  const requests: { method: string; url: string; authorization: string | null; body: string }[] = [];
  const fetch = async (request: Request) => {
    const authorization = request.headers.get('authorization');
    requests.push({ method: request.method, url: request.url, authorization, body: await request.text() });
    return body === undefined
      ? new Response(null, { status })
      : new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, requests };
}

describe('createLatchkeyClient', () => {
  it('sends each request to ${baseUrl}/api/v1 with the token as a Bearer header', async () => {
    const { fetch, requests } = recordingFetch(200, { tokens: [], nextCursor: null });
    const client = createLatchkeyClient({ baseUrl: 'https://keys.example.com/', token: TOKEN, fetch });
    const { data, error, response } = await client.GET('/tokens', { params: { query: { limit: 2, cursor: 41 } } });
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expect(data).toEqual({ tokens: [], nextCursor: null });
    expect(requests).toEqual([
      {
        method: 'GET',
        url: 'https://keys.example.com/api/v1/tokens?limit=2&cursor=41',
        authorization: `Bearer ${TOKEN}`,
        body: '',
      },
    ]);
  });

  it('keeps a path prefix of the base URL, and fills path parameters', async () => {
    const { fetch, requests } = recordingFetch(204);
    const client = createLatchkeyClient({ baseUrl: 'http://127.0.0.1:8080/latchkey', token: TOKEN, fetch });
    const { response } = await client.DELETE('/tokens/{id}', { params: { path: { id: 12 } } });
    expect(response.status).toBe(204);
    await client.DELETE('/tokens/{id}', { params: { path: { id: 'self' } } });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'DELETE http://127.0.0.1:8080/latchkey/api/v1/tokens/12',
      'DELETE http://127.0.0.1:8080/latchkey/api/v1/tokens/self',
    ]);
  });

  it('sends a body as JSON', async () => {
    const { fetch, requests } = recordingFetch(201, { id: 1 });
    const client = createLatchkeyClient({ baseUrl: 'http://127.0.0.1:8080', token: TOKEN, fetch });
    await client.POST('/tokens', { body: { name: 'deploy', expiresIn: 'ONE_MONTH' } });
    expect(requests[0]?.method).toBe('POST');
    expect(JSON.parse(requests[0]!.body)).toEqual({ name: 'deploy', expiresIn: 'ONE_MONTH' });
  });

  it('hands back an error body, with its code, as `error`', async () => {
    const body = { code: 'NOT_FOUND', message: 'API token not found' };
    const { fetch } = recordingFetch(404, body);
    const client = createLatchkeyClient({ baseUrl: 'http://127.0.0.1:8080', token: TOKEN, fetch });
    const { data, error, response } = await client.GET('/tokens/{id}', { params: { path: { id: 99 } } });
    expect(response.status).toBe(404);
    expect(data).toBeUndefined();
    expect(error).toEqual(body);
  });

  it('refuses a base URL or token it cannot use, with a clear message', () => {
    const make =
      (baseUrl: string, token = TOKEN) =>
      () =>
        createLatchkeyClient({ baseUrl, token });
    expect(make('keys.example.com')).toThrow('`baseUrl` must be an http(s) URL');
    expect(make('ftp://keys.example.com')).toThrow('must start with http:// or https://, not ftp://');
    expect(make('https://keys.example.com/?x=1')).toThrow('no query or fragment');
    expect(make('https://keys.example.com', '  ')).toThrow('`token` must be a non-empty API token');
  });
});
