// The UI as `pnpm build` makes it for production, built here from the project's own vite config
// into a folder of its own: it holds no source map and points at none, so no browser asks the
// server for one (which would hand out the UI's sources; the server refuses them anyway).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';

const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-web-production-'));

beforeAll(async () => {
  await build({ root: WEB_ROOT, mode: 'production', logLevel: 'silent', build: { outDir, emptyOutDir: true } });
}, 120_000);
afterAll(() => {
  fs.rmSync(outDir, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}

it('holds no source map, and no file of it names one', () => {
  const files = filesUnder(outDir);
  expect(files.some((file) => file.endsWith('.js'))).toBe(true);
  expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
  const pointing = files.filter((file) => /sourceMappingURL/.test(fs.readFileSync(file, 'utf8')));
  expect(pointing.map((file) => path.relative(outDir, file))).toEqual([]);
});

// The sizes are those of apps/web/dist, which `pnpm test` builds first (`vite build`, NODE_ENV
// production): the build above runs under vitest's NODE_ENV=test, with React's development build.
const DIST = path.join(WEB_ROOT, 'dist');

/** The scripts a first visit runs before anything else is asked for: the entry and its static imports. */
function firstPageScripts(): string[] {
  const html = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const queue = [
    ...html.matchAll(/<script[^>]+src="\/([^"]+\.js)"|<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+)"/g),
  ].map((match) => match[1] ?? match[2]!);
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = fs.readFileSync(path.join(DIST, file), 'utf8');
    // Static imports only (`import x from"./a.js"`, `import"./a.js"`); `import("./a.js")` loads later.
    for (const match of code.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)) {
      queue.push(path.posix.join(path.posix.dirname(file), match[1]!));
    }
  }
  return [...seen];
}

it('keeps every chunk under 500 kB and the first page under 150 kB gzip; the chart loads only when shown', () => {
  const scripts = filesUnder(DIST).filter((file) => file.endsWith('.js'));
  const largest = Math.max(...scripts.map((file) => fs.statSync(file).size));
  expect(largest).toBeLessThan(500_000);
  const first = firstPageScripts();
  expect(first.length).toBeGreaterThan(0);
  const gzipped = first.reduce((sum, file) => sum + zlib.gzipSync(fs.readFileSync(path.join(DIST, file))).length, 0);
  expect(gzipped).toBeLessThan(150_000);
  // uPlot (the usage chart) is a chunk of its own, not part of the first page.
  const chart = scripts.filter((file) => fs.readFileSync(file, 'utf8').includes('uplot'));
  expect(chart.length).toBeGreaterThan(0);
  expect(first.some((file) => chart.includes(path.join(DIST, file)))).toBe(false);
  console.info(
    `largest chunk ${(largest / 1000).toFixed(1)} kB; first page ${first.length} script(s), ` +
      `${(gzipped / 1000).toFixed(1)} kB gzip`,
  );
});
