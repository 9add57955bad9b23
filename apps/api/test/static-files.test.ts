// The static side of the site: the built UI and the API reference's files. No source map is ever
// served (a build may still hold some; the reference's bundle ships its own), and a file that is
// not there is a JSON 404, never the UI's page, nor a 500 naming where the server is installed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support/server';

let server: TestServer;
let webDist: string;

beforeAll(async () => {
  // A build as vite makes one with source maps on: each bundle beside its map, and pointing at it.
  webDist = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-static-'));
  fs.mkdirSync(path.join(webDist, 'assets'));
  fs.writeFileSync(path.join(webDist, 'index.html'), '<!doctype html><div id="root"></div>');
  fs.writeFileSync(
    path.join(webDist, 'assets', 'index-abc123.js'),
    'run();\n//# sourceMappingURL=index-abc123.js.map\n',
  );
  fs.writeFileSync(path.join(webDist, 'assets', 'index-abc123.js.map'), '{"version":3,"sources":["src/app.tsx"]}');
  server = await startServer({ webDist });
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(webDist, { recursive: true, force: true });
});

async function get(url: string) {
  const response = await server.request(url);
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

describe('source maps', () => {
  it('are never served, of the UI or of the API reference, however the name is spelled', async () => {
    expect((await get('/assets/index-abc123.js')).status).toBe(200);
    expect((await get('/api/docs/assets/standalone.js')).status).toBe(200);
    for (const url of [
      '/assets/index-abc123.js.map',
      '/assets/index-abc123.js%2Emap',
      '/assets/index-abc123.js.%6Dap',
      '/assets/index-abc123.js.MAP',
      '/api/docs/assets/standalone.js.map',
      '/api/docs/assets/standalone.esm.js.map',
    ]) {
      const res = await get(url);
      expect([url, res.status, JSON.parse(res.text)]).toEqual([
        url,
        404,
        { code: 'NOT_FOUND', message: 'No such file' },
      ]);
    }
  });
});

describe('a file that is not there', () => {
  it('is a JSON 404 under /api/docs/assets, with no stack, no path on disk and no error in the log', async () => {
    const res = await get('/api/docs/assets/no-such-file.js');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toEqual({ code: 'NOT_FOUND', message: 'No such file' });
    await server.settleLogs();
    const lines = server.logs.filter((line) => line.includes('no-such-file'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(JSON.parse(line).level, line).toBeLessThan(50);
      expect(line).not.toMatch(/node_modules|ENOENT|\bat \S+ \(/);
    }
  });

  it('is a JSON 404 on the site, not the UI page; a page of the UI still gets the UI', async () => {
    for (const url of ['/assets/gone-123.js', '/assets/gone.css', '/favicon.ico', '/robots.txt', '/assets/']) {
      const res = await get(url);
      expect([url, res.status, res.type]).toEqual([url, 404, expect.stringContaining('application/json')]);
    }
    for (const url of ['/', '/settings/tokens', '/t/my-team/settings/members', '/no-such-page']) {
      const res = await get(url);
      expect([url, res.status]).toEqual([url, 200]);
      expect(res.text).toContain('<div id="root">');
    }
  });
});
