// The UI as a developer runs it (`vite`, a development build): React's StrictMode mounts every
// effect twice, and the dialogs must still open and stay open. A development bundle is built for
// this suite into a temporary folder and served by a real server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeInBrowser } from './support/browser-env';

const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const devDist = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-web-dev-'));

beforeAll(async () => {
  await build({
    root: WEB_ROOT,
    mode: 'development',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': JSON.stringify('development') },
    build: { outDir: devDist, emptyOutDir: true, sourcemap: false, minify: false },
  });
}, 120_000);
afterAll(() => {
  fs.rmSync(devDist, { recursive: true, force: true });
});

describeInBrowser(
  'a development build in the browser',
  (env) => {
    it('opens a dialog and keeps it open under StrictMode: create a token, see it, rotate it', async () => {
      const bundle = fs.readdirSync(path.join(devDist, 'assets')).find((name) => name.endsWith('.js'))!;
      // React's development build, which double-mounts effects under StrictMode.
      expect(fs.readFileSync(path.join(devDist, 'assets', bundle), 'utf8')).toContain('Download the React DevTools');

      const { context, page } = await env().newPage();
      await env().signInAs(context);
      await page.goto('/settings/tokens');
      await page.getByRole('button', { name: 'Create your first token' }).click();
      const form = page.getByRole('dialog', { name: 'Create API token' });
      await form.getByLabel('Name').fill('Dev build');
      await page.waitForTimeout(300);
      expect(await form.isVisible()).toBe(true);
      await form.getByRole('button', { name: 'Create token' }).click();
      const reveal = page.getByRole('dialog', { name: 'API token created' });
      expect(await reveal.getByTestId('new-token').textContent()).toMatch(/^api_[0-9A-Za-z]{36}$/);
      await reveal.getByRole('button', { name: 'Copy token' }).click();
      await reveal.getByRole('button', { name: 'Close' }).click();
      await reveal.waitFor({ state: 'detached' });

      await page.getByRole('button', { name: 'Rotate Dev build' }).click();
      const rotate = page.getByRole('dialog', { name: 'Rotate API token' });
      await page.waitForTimeout(300);
      expect(await rotate.isVisible()).toBe(true);
    });
  },
  { webDist: devDist },
);
