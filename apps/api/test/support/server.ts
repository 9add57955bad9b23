// An in-process Latchkey server on a random port for the integration tests: a fresh database, a
// clock the test moves, logs kept in memory, and clients that remember every secret they were
// handed so a test can prove none of them reached the log.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client';
import { createLatchkeyClient, type LatchkeyClient } from '@latchkey/client';
import {
  createApiToken,
  createScopeSet,
  createTeam,
  createUser,
  ManualClock,
  trpcTransformer,
  type CreatedApiToken,
  type Db,
  type ExpiresIn,
  type PublicTeam,
  type PublicUser,
  type RateLimitStore,
} from '@latchkey/lib';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '@latchkey/lib/testing';
import { createApp, type LatchkeyApp } from '../../src/app';
import { defaultConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/http/logger';
import { createServerLatchkey } from '../../src/server-latchkey';
import type { AppRouter } from '../../src/trpc/router';

/** 12:00:30 UTC: half a rate-limit window has passed, so `Retry-After` is 30 and Reset is 12:01:00. */
export const START_TIME = Date.UTC(2026, 0, 1, 12, 0, 30);
export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;

export const SESSION_COOKIE = 'latchkey_session';
/** Its name under an https PUBLIC_URL. */
export const HOST_SESSION_COOKIE = '__Host-latchkey_session';
const SET_SESSION_COOKIE = /^(?:__Host-)?latchkey_session=([^;]*)/;
export const TOO_MANY_REQUESTS_BODY = {
  code: 'TOO_MANY_REQUESTS',
  message: 'Too many requests, please try again later.',
};
const TOKEN_IN_TEXT = /api_[0-9A-Za-z]{36}/g;

/** Limits high enough that a test never meets one by accident; tests of a limit lower theirs. */
const ROOMY_LIMITS: Config['rateLimits'] = {
  ipPerMinute: 100_000,
  ownerPerMinute: 100_000,
  authFailuresPerMinute: 100_000,
  trpcPerMinute: 100_000,
  signInFailures: 100_000,
  signInFailuresPerAccount: 100_000,
  credentialRevokePerHour: 100_000,
  servicePerMinute: 100_000,
};

export type StartServerOptions = {
  /** A database to use (left open on close), or which kind of fresh one to make; SQLite by default. */
  database?: TestDatabase | TestDatabaseKind;
  /** Rate limits over the roomy test defaults. */
  rateLimits?: Partial<Config['rateLimits']>;
  /** The stock limits of `defaultConfig()` instead of the roomy ones. */
  stockRateLimits?: boolean;
  config?: Partial<Omit<Config, 'rateLimits'>>;
  /** The product's own scopes (as TOKEN_SCOPES declares them), unless `config.scopes` is given. */
  productScopes?: readonly string[];
  /** Where rate-limit counters live; the app's in-memory store by default. */
  rateLimitStore?: RateLimitStore;
  /** A built web UI to serve at `/`; none by default. */
  webDist?: string;
};

export type JsonResponse<T = any> = { status: number; headers: Headers; body: T; text: string };

export type TestServer = Awaited<ReturnType<typeof startServer>>;

export async function startServer(options: StartServerOptions = {}) {
  const ownsDatabase = typeof options.database !== 'object';
  const database =
    typeof options.database === 'object' ? options.database : await createTestDatabase(options.database ?? 'sqlite');
  const db: Db = database.db;
  const clock = new ManualClock(START_TIME);

  const logLines: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('debug', logStream);
  const rateLimits = options.stockRateLimits ? {} : { ...ROOMY_LIMITS, ...options.rateLimits };
  const scopes = options.productScopes ? createScopeSet(options.productScopes) : undefined;
  const config = defaultConfig({ ...(scopes && { scopes }), ...options.config, rateLimits });
  const sessionCookie = config.publicUrl?.startsWith('https:') ? HOST_SESSION_COOKIE : SESSION_COOKIE;
  const latchkey = await createServerLatchkey({
    db,
    config,
    clock,
    logger,
    rateLimitStore: options.rateLimitStore,
  });
  const allowedScopes = latchkey.scopes;
  /** Writes the recorded uses now (nothing is recorded with USAGE_RECORDING=false). */
  const lastUsed = { flush: async () => latchkey.usage?.flush() };
  const app: LatchkeyApp = createApp({ latchkey, config, logger, webDist: options.webDist ?? null });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** Every plain token, password and session id this server handed out or was handed. */
  const secrets = new Set<string>();
  const remember = (secret: string) => secrets.add(secret);

  /** fetch on this server; remembers any token in a response and any session id in a cookie. */
  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    return observe(await fetch(path.startsWith('http') ? path : url + path, init));
  }

  /** A typed REST client (`@latchkey/client`) using `token`, whose answers are remembered as `request`'s are. */
  function client(token: string): LatchkeyClient {
    return createLatchkeyClient({ baseUrl: url, token, fetch: async (req) => observe(await fetch(req)) });
  }

  async function observe(response: Response): Promise<Response> {
    const text = await response.clone().text();
    for (const token of text.match(TOKEN_IN_TEXT) ?? []) remember(token);
    for (const cookie of response.headers.getSetCookie()) {
      const value = SET_SESSION_COOKIE.exec(cookie)?.[1];
      if (value) remember(value);
    }
    return response;
  }

  /** A JSON request; `token` goes in `Authorization: Bearer …`, `body` is sent as JSON. */
  async function api<T = any>(
    method: string,
    path: string,
    opts: {
      token?: string;
      authorization?: string;
      body?: unknown;
      rawBody?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<JsonResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    if (opts.authorization !== undefined) headers.authorization = opts.authorization;
    let body: string | undefined;
    if (opts.body !== undefined || opts.rawBody !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = opts.rawBody ?? JSON.stringify(opts.body);
    }
    const response = await request(path, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text && (response.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  /**
   * A typed tRPC client acting as one browser: it keeps the session cookie between calls and sends
   * `origin` (this server's own origin by default; null sends no Origin header).
   */
  const jars = new WeakMap<object, { session: string | null }>();
  function trpc(opts: { origin?: string | null; batch?: boolean } = {}) {
    const jar = { session: null as string | null };
    const origin = opts.origin === undefined ? url : opts.origin;
    const jarFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const headers = new Headers(init?.headers);
      if (jar.session) headers.set('cookie', `${sessionCookie}=${jar.session}`);
      if (origin !== null) headers.set('origin', origin);
      const response = await request(
        typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
        { ...init, headers },
      );
      for (const cookie of response.headers.getSetCookie()) {
        const match = SET_SESSION_COOKIE.exec(cookie);
        if (!match) continue;
        const expired = /expires=Thu, 01 Jan 1970/i.test(cookie) || match[1] === '';
        jar.session = expired ? null : match[1]!;
      }
      return response;
    };
    const linkOptions = { url: `${url}/api/trpc`, transformer: trpcTransformer, fetch: jarFetch };
    const client = createTRPCClient<AppRouter>({
      links: [opts.batch === false ? httpLink(linkOptions) : httpBatchLink(linkOptions)],
    });
    jars.set(client, jar);
    return client;
  }

  /** The cookie jar of a client from `trpc()`: read or replace its session id. */
  function jarOf(client: object): { session: string | null } {
    const jar = jars.get(client);
    if (!jar) throw new Error('not a client of this server');
    return jar;
  }

  /** A user made through the library, as an operator would; the password is remembered as a secret. */
  let userCount = 0;
  async function createTestUser(name = `User ${++userCount}`): Promise<PublicUser & { password: string }> {
    const password = `pw-${Math.random().toString(36).slice(2)}-${userCount}-secret`;
    remember(password);
    const local = name.toLowerCase().replace(/[^a-z0-9]+/g, '.');
    const email = `${local}.${Math.random().toString(36).slice(2, 8)}@example.com`;
    const user = await createUser({ db, clock, email, name, password });
    return { ...user, password };
  }

  async function createTestTeam(
    admin: PublicUser,
    name = `Team ${Math.random().toString(36).slice(2, 8)}`,
  ): Promise<PublicTeam> {
    return createTeam({ db, clock, userId: admin.id, name, slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-') });
  }

  /** A token made through the library for a user (or a team the user administers). */
  async function createTestToken(
    user: PublicUser,
    opts: { teamId?: number | null; name?: string; expiresIn?: ExpiresIn; scopes?: string[] } = {},
  ): Promise<CreatedApiToken> {
    const created = await createApiToken({
      db,
      clock,
      userId: user.id,
      teamId: opts.teamId ?? null,
      name: opts.name ?? 'test token',
      expiresIn: opts.expiresIn,
      scopes: opts.scopes,
      allowedScopes,
    });
    remember(created.token);
    return created;
  }

  /** Lets the last requests' log lines (written when each response finishes) arrive. */
  async function settleLogs() {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Log lines that contain any remembered secret (should be none). */
  function leakedSecrets(): string[] {
    const text = logLines.join('');
    return [...secrets].filter((secret) => text.includes(secret));
  }

  /** Audit events that hold any remembered secret (should be none): a plain token, password or session id. */
  async function secretsInAuditEvents(): Promise<string[]> {
    const events = await db.selectFrom('audit_events').selectAll().execute();
    const text = events.map((e) => [e.type, e.actor_name, e.ip, e.user_agent, e.details].join('\n')).join('\n');
    return [...secrets]
      .filter((secret) => text.includes(secret))
      .map(() => 'an audit event holds a secret this server handed out');
  }

  async function close() {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await latchkey.close();
    // Every event any test wrote on this server is searched for the secrets it saw; the database's
    // own check (stored hashes, token and session-id shapes) runs when it is dropped.
    const leaked = await secretsInAuditEvents().catch(() => []);
    if (ownsDatabase) await database.drop();
    if (leaked.length > 0) throw new Error(leaked[0]);
  }

  return {
    url,
    db,
    database,
    clock,
    config,
    app,
    latchkey,
    lastUsed,
    logs: logLines,
    secrets,
    remember,
    leakedSecrets,
    secretsInAuditEvents,
    settleLogs,
    request,
    api,
    client,
    trpc,
    jarOf,
    createTestUser,
    createTestTeam,
    createTestToken,
    close,
  };
}

/** `X-RateLimit-*` and `Retry-After` as numbers (NaN when absent). */
export function rateLimitHeaders(headers: Headers) {
  return {
    limit: Number(headers.get('x-ratelimit-limit') ?? NaN),
    remaining: Number(headers.get('x-ratelimit-remaining') ?? NaN),
    reset: Number(headers.get('x-ratelimit-reset') ?? NaN),
    retryAfter: Number(headers.get('retry-after') ?? NaN),
  };
}

/** End of the clock's current fixed minute, in Unix seconds. */
export function windowEndSeconds(now: number): number {
  return (Math.floor(now / MINUTE) + 1) * 60;
}

/** What a failed tRPC call reports; fails the test when the call succeeds. */
export async function trpcError(
  call: Promise<unknown>,
): Promise<{ code: string | undefined; httpStatus: number | undefined; message: string; issues: unknown }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { code?: string; httpStatus?: number; issues?: unknown } | undefined;
    return { code: data?.code, httpStatus: data?.httpStatus, message: error.message, issues: data?.issues };
  }
  throw new Error('expected the tRPC call to fail, but it succeeded');
}

type ClientAnswer<D, E> = { data?: D; error?: E; response: Response };

/** The body of a `server.client()` call that must answer `status`; otherwise fails with what it got. */
export async function answerOf<D, E>(call: Promise<ClientAnswer<D, E>>, status: number): Promise<NonNullable<D>> {
  const { data, error, response } = await call;
  if (response.status !== status || error !== undefined) {
    throw new Error(`expected ${status}, got ${response.status} ${JSON.stringify(error ?? data)}`);
  }
  return data as NonNullable<D>;
}

/** The error body of a `server.client()` call that must fail with `status`; fails the test when it does not. */
export async function errorOf<D, E>(call: Promise<ClientAnswer<D, E>>, status: number): Promise<NonNullable<E>> {
  const { data, error, response } = await call;
  if (response.status !== status || error === undefined) {
    throw new Error(`expected an error ${status}, got ${response.status} ${JSON.stringify(error ?? data)}`);
  }
  return error as NonNullable<E>;
}
