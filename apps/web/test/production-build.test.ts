// The UI as `pnpm build` makes it for production, built here from the project's own vite config
// into a folder of its own: it holds no source map and points at none, so no browser asks the
// server for one (which would hand out the UI's sources; the server refuses them anyway).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
