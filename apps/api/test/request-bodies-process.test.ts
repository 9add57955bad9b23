// Request bodies against the production server in a process of its own: real 100 MB uploads,
// streamed, of every content type, to tRPC, to the REST API and to the rest of the site, some in
// parallel. A body of a type nothing there takes is refused (415) before it is read, a JSON body is
// read no further than its limit (413), and a body nothing reads does not keep its connection
// reading. The server's peak resident memory (VmHWM) stays within a small margin of its peak at rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, startBundle, type BundleServer, type Memory } from './support/server-bundle';
import { upload, type UploadOptions, type UploadResult } from './support/upload';

const MB = 1024 * 1024;
const UPLOAD = 100 * MB;
/** What the server may hold at its peak over its peak at rest, after every upload here. */
const PEAK_MARGIN_KB = 60 * 1024;
/**
 * What a client may hand its connection before the answer ends it: the socket buffers on both
 * sides of a loopback connection hold a few MB that the server never reads. All 100 MB means the
 * server read the whole body.
 */
const MOST_SENT = 16 * MB;

let server: BundleServer;
let atRest: Memory;
let token: string;
const measured: string[] = [];

async function trpcMutation(path: string, input: unknown, cookie?: string) {
  const response = await fetch(`${server.url}/api/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ json: input }),
  });
  return { response, body: (await response.json()) as any };
}

beforeAll(async () => {
  server = await startBundle(buildBundle('request-bodies-test'));
  // A user and a token through the UI's API, which also exercises every path the uploads go to.
  const password = `upload ${Math.random().toString(36).slice(2)} horse`;
  const signUp = await trpcMutation('auth.signUp', { name: 'Uploader', email: 'uploader@example.com', password });
  expect(signUp.response.status).toBe(200);
  const cookie = signUp.response.headers.getSetCookie()[0]!.split(';')[0]!;
  const created = await trpcMutation('apiToken.create', { name: 'uploads' }, cookie);
  expect(created.response.status).toBe(200);
  token = created.body.result.data.json.token as string;
  for (let round = 0; round < 20; round += 1) {
    await (await fetch(`${server.url}/api/trpc/auth.me`, { headers: { cookie } })).arrayBuffer();
    await (await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer();
    await (
      await fetch(`${server.url}/api/v1/tokens?limit=5`, { headers: { authorization: `Bearer ${token}` } })
    ).arrayBuffer();
    await trpcMutation('auth.signIn', { email: 'uploader@example.com', password: `${password}!` });
    await (await fetch(`${server.url}/api/health`)).arrayBuffer();
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  atRest = server.memory();
  measured.push(`at rest: peak ${mb(atRest.peakKb)}, resident ${mb(atRest.residentKb)}`);
}, 120_000);

afterAll(async () => {
  if (measured.length) console.info(`request bodies, server memory (VmHWM/VmRSS):\n  ${measured.join('\n  ')}`);
  await server?.stop();
});

function mb(kb: number): string {
  return `${(kb / 1024).toFixed(1)} MB`;
}

type Case = { name: string; path: string; options: Omit<UploadOptions, 'size'> & { size?: number } };

async function send(cases: Case[]): Promise<Array<{ name: string; path: string; result: UploadResult }>> {
  return Promise.all(
    cases.map(async ({ name, path, options }) => ({
      name,
      path,
      result: await upload(`${server.url}${path}`, { size: UPLOAD, ...options }),
    })),
  );
}

/** Peak memory now, over the peak at rest, recorded for the report and checked against the margin. */
function expectPeakWithinMargin(after: string) {
  const now = server.memory();
  measured.push(
    `after ${after}: peak ${mb(now.peakKb)} (+${mb(now.peakKb - atRest.peakKb)}), resident ${mb(now.residentKb)}`,
  );
  expect.soft(now.peakKb - atRest.peakKb, `peak over the peak at rest after ${after}`).toBeLessThan(PEAK_MARGIN_KB);
}

/** The error code of an answer, in the shape of its path: tRPC's under /api/trpc, `{code, message}` elsewhere. */
function errorCode(path: string, text: string): string | undefined {
  let body: { code?: string; error?: { json?: { data?: { code?: string } } } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `not JSON: ${text.slice(0, 60)}`;
  }
  return path.startsWith('/api/trpc') ? body.error?.json?.data?.code : body.code;
}

describe('100 MB request bodies against the production server', () => {
  it('refuses a body of a type nothing there takes with 415, before reading it', async () => {
    const auth = () => ({ authorization: `Bearer ${token}` });
    const results = await send([
      {
        name: 'octet-stream to auth.signOut',
        path: '/api/trpc/auth.signOut',
        options: { headers: { 'content-type': 'application/octet-stream' } },
      },
      ...[1, 2, 3, 4].map((n) => ({
        name: `text/plain to auth.me (${n} of 4 at once)`,
        path: '/api/trpc/auth.me',
        options: { headers: { 'content-type': 'text/plain' }, chunked: true },
      })),
      {
        name: 'multipart to auth.signIn',
        path: '/api/trpc/auth.signIn',
        options: { headers: { 'content-type': 'multipart/form-data; boundary=x' }, chunked: true },
      },
      {
        name: 'text/plain to POST /api/v1/tokens',
        path: '/api/v1/tokens',
        options: { headers: { 'content-type': 'text/plain', ...auth() } },
      },
      {
        name: 'a form to the leak report',
        path: '/api/v1/credentials/revoke',
        options: { headers: { 'content-type': 'application/x-www-form-urlencoded' }, chunked: true },
      },
      {
        name: 'no content type to the leak report',
        path: '/api/v1/credentials/revoke',
        options: { chunked: true },
      },
    ]);
    for (const { name, path, result } of results) {
      measured.push(`${name}: ${result.status}, ${mb(result.sent / 1024)} sent`);
      expect.soft(result.status, `${name}: ${result.error ?? result.text}`).toBe(415);
      expect.soft(errorCode(path, result.text), name).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect.soft(result.sent, `${name}: bytes the client could send`).toBeLessThan(MOST_SENT);
    }
    expectPeakWithinMargin('the 415 uploads');
  }, 120_000);

  it('refuses any body where nothing takes one (the site, health, the docs), before reading it', async () => {
    const results = await send([
      { name: 'POST /', path: '/', options: { headers: { 'content-type': 'text/plain' } } },
      { name: 'POST /api/health', path: '/api/health', options: { headers: { 'content-type': 'application/json' } } },
      {
        name: 'GET /api/docs/assets/standalone.js',
        path: '/api/docs/assets/standalone.js',
        options: { method: 'GET', headers: { 'content-type': 'application/octet-stream' }, chunked: true },
      },
    ]);
    for (const { name, path, result } of results) {
      measured.push(`${name}: ${result.status}, ${mb(result.sent / 1024)} sent`);
      expect.soft(result.status, `${name}: ${result.error ?? result.text}`).toBe(415);
      expect.soft(errorCode(path, result.text), name).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect.soft(result.sent, `${name}: bytes the client could send`).toBeLessThan(MOST_SENT);
    }
    expectPeakWithinMargin('the uploads to the rest of the site');
  }, 120_000);

  it('reads a JSON body no further than its limit: 413, declared or streamed, all at once', async () => {
    const json = { 'content-type': 'application/json' };
    const auth = { authorization: `Bearer ${token}` };
    // A JSON string that never ends: only its size can refuse it.
    const fill = Buffer.concat([Buffer.from('{"json":{"email":"'), Buffer.alloc(64 * 1024 - 18, 'a')]);
    const results = await send([
      {
        name: 'JSON streamed to auth.signIn',
        path: '/api/trpc/auth.signIn',
        options: { headers: json, chunked: true, fill },
      },
      {
        name: 'JSON of 100 MB declared to a tRPC batch',
        path: '/api/trpc/auth.signIn?batch=1',
        options: { headers: json, fill },
      },
      {
        name: 'JSON streamed to POST /api/v1/tokens',
        path: '/api/v1/tokens',
        options: { headers: { ...json, ...auth }, chunked: true, fill },
      },
      {
        name: 'JSON streamed to the leak report',
        path: '/api/v1/credentials/revoke',
        options: { headers: json, chunked: true, fill },
      },
      {
        name: 'JSON declared to the leak report',
        path: '/api/v1/credentials/revoke',
        options: { headers: json, fill },
      },
    ]);
    for (const { name, path, result } of results) {
      measured.push(`${name}: ${result.status}, ${mb(result.sent / 1024)} sent`);
      expect.soft(result.status, `${name}: ${result.error ?? result.text}`).toBe(413);
      expect.soft(errorCode(path, result.text), name).toBe('PAYLOAD_TOO_LARGE');
      expect.soft(result.sent, `${name}: bytes the client could send`).toBeLessThan(MOST_SENT);
    }
    expectPeakWithinMargin('the 413 uploads');
  }, 120_000);

  it('does not read on past its limit a body that a route answers without reading', async () => {
    const results = await send([
      {
        name: 'JSON streamed to GET /api/v1/me',
        path: '/api/v1/me',
        options: {
          method: 'GET',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          chunked: true,
        },
      },
      {
        name: 'JSON streamed to POST /api/v1/tokens without a token',
        path: '/api/v1/tokens',
        options: { headers: { 'content-type': 'application/json' }, chunked: true },
      },
      {
        name: 'JSON streamed to a tRPC query',
        path: '/api/trpc/auth.me',
        options: { method: 'GET', headers: { 'content-type': 'application/json' }, chunked: true },
      },
    ]);
    expect.soft(results.map(({ result }) => result.status)).toEqual([200, 401, 200]);
    for (const { name, result } of results) {
      measured.push(`${name}: ${result.status}, ${mb(result.sent / 1024)} sent`);
      expect.soft(result.sent, `${name}: bytes the client could send`).toBeLessThan(MOST_SENT);
    }
    expectPeakWithinMargin('the uploads answered without reading');
  }, 120_000);

  it('still answers as before, and logged nothing at error level', async () => {
    const health = await fetch(`${server.url}/api/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    const levels = server
      .output()
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { level: number }).level);
    expect(levels.filter((level) => level >= 50)).toEqual([]);
  });
});
