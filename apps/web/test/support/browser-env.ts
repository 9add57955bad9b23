// What every browser test needs: the built UI served by a real in-process server on a random port,
// a fresh SQLite database, and headless Chromium. A missing Chromium fails the suite under CI=true
// and skips it, saying why, anywhere else.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { createApp, defaultConfig, type LatchkeyApp } from '@latchkey/api';
import { createLatchkey, createSession, createUser, systemClock, type Db, type PublicUser } from '@latchkey/lib';
import { createTestDatabase, type TestDatabase } from '@latchkey/lib/testing';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_DIST = path.resolve(here, '../../dist');
export const ARTIFACTS_DIR = path.resolve(here, '../../test-artifacts');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const PASSWORD = 'correct horse battery';
const SESSION_COOKIE = 'latchkey_session';

export function chromiumUnavailableReason(): string | null {
  return fs.existsSync(CHROMIUM_PATH)
    ? null
    : `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install chromium\` or set CHROMIUM_PATH`;
}

export type BrowserEnv = {
  baseUrl: string;
  db: Db;
  app: LatchkeyApp;
  browser: Browser;
  /** A browser context (its own cookies) with a page open at 1280×800 unless told otherwise. */
  newPage(options?: BrowserContextOptions): Promise<{ context: BrowserContext; page: Page }>;
  /** A user made through the library, signed in in `context` with a fresh session cookie. */
  signInAs(context: BrowserContext, user?: { name?: string; email?: string }): Promise<PublicUser>;
  createUser(user?: { name?: string; email?: string }): Promise<PublicUser>;
  /** Signs an existing user in, in `context`. */
  startSession(context: BrowserContext, userId: number): Promise<void>;
  /** GET /api/v1/me with the token, as a client of the public API would. */
  callMe(token: string): Promise<{ status: number; body: any }>;
  /** A PNG in apps/web/test-artifacts/; the whole page unless `fullPage` is false (for dialogs). */
  screenshot(page: Page, name: string, options?: { fullPage?: boolean }): Promise<string>;
};

let emailCounter = 0;
export function uniqueEmail(prefix = 'user'): string {
  emailCounter += 1;
  return `${prefix}-${process.pid}-${emailCounter}-${Date.now().toString(36)}@example.com`;
}

type RunningEnv = BrowserEnv & {
  close(): Promise<void>;
  closeContexts(): Promise<void>;
  /** After a failed test (or any, with BROWSER_LOG=1): a screenshot of every open page, and what the pages logged. */
  recordFailure(testName: string): Promise<void>;
};

/** What a suite may set in its server's configuration, e.g. `tokenMaxLifetimeDays`, and which build it serves. */
export type BrowserEnvOptions = {
  config?: Omit<Parameters<typeof defaultConfig>[0], 'rateLimits' | 'logLevel'>;
  /** The built UI to serve; apps/web/dist by default. */
  webDist?: string;
};

async function startEnv(options: BrowserEnvOptions = {}): Promise<RunningEnv> {
  const database: TestDatabase = await createTestDatabase('sqlite');
  const db = database.db;
  // The UI makes many calls a minute in a test; the per-IP tRPC limit is for real clients.
  const config = defaultConfig({ ...options.config, logLevel: 'silent', rateLimits: { trpcPerMinute: 100_000 } });
  const latchkey = await createLatchkey({ database: db, clock: systemClock, limits: config.rateLimits });
  const app = createApp({ latchkey, config, webDist: options.webDist ?? WEB_DIST });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    });
  } catch (error) {
    server.close();
    await latchkey.close();
    await database.drop();
    throw new Error(`Chromium at ${CHROMIUM_PATH} did not start: ${(error as Error).message}`, { cause: error });
  }

  const contexts = new Set<BrowserContext>();
  // What the pages said, for the report of a failed test.
  let pageLog: string[] = [];
  const env: RunningEnv = {
    baseUrl,
    db,
    app,
    browser,
    async newPage(options = {}) {
      const context = await browser.newContext({
        baseURL: baseUrl,
        viewport: { width: 1280, height: 800 },
        locale: 'en-US',
        timezoneId: 'UTC',
        ...options,
      });
      contexts.add(context);
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
      const page = await context.newPage();
      // Generous: the machine may be busy with other suites.
      page.setDefaultTimeout(15_000);
      page.on('pageerror', (error) => pageLog.push(`page error: ${error.message}`));
      // A URL in the log: its path on the app, at most 120 characters.
      const pathOf = (url: string) => url.slice(baseUrl.length, baseUrl.length + 120);
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning')
          pageLog.push(`console ${message.type()}: ${message.text()}`);
      });
      page.on('response', (response) => {
        if (response.status() >= 400)
          pageLog.push(`${response.status()} ${response.request().method()} ${pathOf(response.url())}`);
      });
      page.on('requestfailed', (request) =>
        pageLog.push(`request failed: ${pathOf(request.url())} ${request.failure()?.errorText ?? ''}`),
      );
      return { context, page };
    },
    async createUser(user = {}) {
      return createUser({
        db,
        clock: systemClock,
        name: user.name ?? 'Test User',
        email: user.email ?? uniqueEmail(),
        password: PASSWORD,
      });
    },
    async startSession(context, userId) {
      const session = await createSession({ db, clock: systemClock, userId });
      await context.addCookies([
        { name: SESSION_COOKIE, value: session.sessionId, url: baseUrl, httpOnly: true, sameSite: 'Lax' },
      ]);
    },
    async signInAs(context, user = {}) {
      const created = await env.createUser(user);
      await env.startSession(context, created.id);
      return created;
    },
    async callMe(token) {
      const response = await fetch(`${baseUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
      return { status: response.status, body: await response.json() };
    },
    async screenshot(page, name, { fullPage = true } = {}) {
      fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const file = path.join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage });
      return file;
    },
    async recordFailure(testName) {
      const dir = path.join(ARTIFACTS_DIR, 'failures');
      fs.mkdirSync(dir, { recursive: true });
      const slug = testName.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      let n = 0;
      for (const context of contexts) {
        for (const page of context.pages()) {
          n += 1;
          await page.screenshot({ path: path.join(dir, `${slug}-${n}.png`), fullPage: true }).catch(() => {});
          pageLog.push(`page ${n} was at ${page.url()}`);
        }
      }
      console.error(`Browser log of "${testName}" (screenshots in ${dir}):\n  ${pageLog.join('\n  ') || '(nothing)'}`);
    },
    async closeContexts() {
      pageLog = [];
      await Promise.all([...contexts].map((context) => context.close().catch(() => {})));
      contexts.clear();
    },
    async close() {
      await browser.close().catch(() => {});
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await latchkey.close();
      await database.drop();
    },
  };
  return env;
}

/** A suite with a server and Chromium of its own; `env()` reaches them inside tests. */
export function describeInBrowser(
  name: string,
  suite: (env: () => BrowserEnv) => void,
  options: BrowserEnvOptions = {},
): void {
  const missing = chromiumUnavailableReason();
  if (missing && process.env.CI !== 'true') {
    console.warn(`SKIPPED browser suite "${name}": ${missing}`);
    describe.skip(name, () =>
      suite(() => {
        throw new Error(missing);
      }),
    );
    return;
  }
  describe(name, () => {
    let env: RunningEnv | undefined;
    beforeAll(async () => {
      if (missing) throw new Error(`${missing} (CI=true: the browser tests must run)`);
      const webDist = options.webDist ?? WEB_DIST;
      if (!fs.existsSync(path.join(webDist, 'index.html'))) {
        throw new Error(
          `The web app is not built (${webDist}/index.html is missing): ` +
            'run `pnpm --filter @latchkey/web test`, which builds first',
        );
      }
      env = await startEnv(options);
    });
    afterEach(async (context) => {
      if (context.task.result?.state === 'fail' || process.env.BROWSER_LOG === '1')
        await env?.recordFailure(context.task.name);
      await env?.closeContexts();
    });
    afterAll(async () => {
      await env?.close();
    });
    suite(() => {
      if (!env) throw new Error('browser environment not ready');
      return env;
    });
  });
}
