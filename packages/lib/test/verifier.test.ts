// The one verifier: its verdict values (every refusal exactly as API.md says, as a value, never an
// exception), the limits it counts (count-first failure budget, single-flight lookups, IPv6 /64,
// owner limit, a service client's own key), and what it reports (usage, `token.ip_refused`).
import { afterEach, expect, it } from 'vitest';
import { createDatabase, type Db } from '../src/db/create-database';
import { engineOf } from '../src/db/database-engine';
import { migrateToLatest } from '../src/db/migrations';
import { getAuditEvents } from '../src/server-only/audit/get-audit-events';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { deleteApiTokenById } from '../src/server-only/public-api/delete-api-token-by-id';
import { MemoryRateLimitStore, RateLimiter } from '../src/server-only/rate-limit/rate-limiter';
import { createUsageRecorder } from '../src/server-only/runtime/usage-recorder';
import { createVerifier, type VerifierLimits } from '../src/server-only/runtime/verifier';
import { disableUser } from '../src/server-only/user/disable-user';
import { describeEachDatabase } from '../src/testing/index';
import { generateApiToken } from '../src/universal/token-format';
import { checkApiToken, DAY_MS, insertUser, watchDatabaseCalls } from './helpers';

const START = Date.UTC(2026, 4, 1, 8, 0, 30);
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A verifier with in-memory limits (small ones where a test says so) and no cache. */
function verifierOf(db: Db, clock: ManualClock, limits: Partial<VerifierLimits> = {}) {
  const limiter = new RateLimiter(new MemoryRateLimitStore(clock), clock);
  return createVerifier({ db, clock, cache: null, limiter, limits });
}

describeEachDatabase('the verifier', (getDatabase) => {
  async function setup(limits: Partial<VerifierLimits> = {}) {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const make = (options: { scopes?: string[]; allowedIps?: string[]; expiresIn?: string } = {}) =>
      createApiToken({ db, clock, userId: user.id, name: 'Verified', ...options });
    return { db, clock, user, make, verifier: verifierOf(db, clock, limits) };
  }

  it('accepts a valid token with its owner and the limit to show', async () => {
    const { user, make, verifier } = await setup();
    const created = await make({ scopes: ['tokens:read'] });
    const verdict = await verifier.verify(created.token, { ip: '192.0.2.1', scopes: ['tokens:read'] });
    expect(verdict).toMatchObject({
      ok: true,
      token: { id: created.id, name: 'Verified', owner: { kind: 'user', userId: user.id }, user },
      rateLimit: { allowed: true, limit: 1000 },
    });
  });

  it('gives every refusal as a value: status, code, message and the headers API.md names', async () => {
    const { db, clock, user, make, verifier } = await setup();
    const week = await make({ expiresIn: 'SEVEN_DAYS' });
    const narrow = await make({ scopes: ['tokens:read'] });
    const office = await make({ allowedIps: ['198.51.100.0/24'] });
    const deleted = await make();
    await deleteApiTokenById({ db, clock, userId: user.id, id: deleted.id });
    const ip = '192.0.2.1';

    expect(await verifier.verify(undefined, { ip })).toMatchObject({
      ok: false,
      status: 401,
      code: 'UNAUTHORIZED',
      message: 'API token was not provided',
      wwwAuthenticate: 'Bearer realm="api"',
    });
    for (const token of ['', 'api_short', generateApiToken(), deleted.token]) {
      expect(await verifier.verify(token, { ip })).toMatchObject({
        ok: false,
        status: 401,
        code: 'UNAUTHORIZED',
        message: 'Invalid token',
        wwwAuthenticate: 'Bearer realm="api", error="invalid_token"',
      });
    }
    expect(await verifier.verify(narrow.token, { ip, scopes: ['tokens:read', 'tokens:write'] })).toMatchObject({
      ok: false,
      status: 403,
      code: 'FORBIDDEN',
      message: 'This token lacks the scope tokens:write',
      token: { id: narrow.id },
    });
    expect(await verifier.verify(office.token, { ip })).toMatchObject({
      ok: false,
      status: 403,
      code: 'FORBIDDEN',
      message: 'This token may not be used from this address',
    });
    expect((await verifier.verify(office.token, { ip: '198.51.100.7' })).ok).toBe(true);
    clock.advance(7 * DAY_MS);
    expect(await verifier.verify(week.token, { ip })).toMatchObject({ status: 401, message: 'Expired token' });
  });

  it('a refusal is never an exception, and a failing database is', async () => {
    const clock = new ManualClock();
    const broken = new Proxy({} as Db, {
      get() {
        throw new Error('database is down');
      },
    });
    const verifier = verifierOf(broken, clock);
    expect(await verifier.verify('api_malformed')).toMatchObject({ ok: false, status: 401 });
    await expect(verifier.verify(generateApiToken())).rejects.toThrow('database is down');
  });

  it('429 with Retry-After past the address limit, the failure budget and the owner limit', async () => {
    const { make, verifier } = await setup({ ipPerMinute: 3, authFailuresPerMinute: 2, ownerPerMinute: 4 });
    const created = await make();
    // Address: three requests a minute from 192.0.2.1, whatever they carry.
    for (let i = 0; i < 3; i++) expect((await verifier.verify(created.token, { ip: '192.0.2.1' })).ok).toBe(true);
    const address = await verifier.verify(created.token, { ip: '192.0.2.1' });
    expect(address).toMatchObject({
      ok: false,
      status: 429,
      code: 'TOO_MANY_REQUESTS',
      message: 'Too many requests, please try again later.',
      retryAfter: 30,
      rateLimit: { limit: 3, remaining: 0, allowed: false },
    });
    // Failures: two bad tokens from 192.0.2.2, then even a valid token waits.
    for (let i = 0; i < 2; i++) expect((await verifier.verify(generateApiToken(), { ip: '192.0.2.2' })).ok).toBe(false);
    expect(await verifier.verify(created.token, { ip: '192.0.2.2' })).toMatchObject({ status: 429, retryAfter: 30 });
    // Owner: its fourth request (one from .1 was refused before it counted) passes; the fifth, from anywhere, not.
    expect((await verifier.verify(created.token, { ip: '192.0.2.3' })).ok).toBe(true);
    expect(await verifier.verify(created.token, { ip: '192.0.2.4' })).toMatchObject({
      status: 429,
      rateLimit: { limit: 4 },
      token: { id: created.id },
    });
  });

  it('counts an unknown token against the failure budget before the lookup, and gives it back when valid', async () => {
    const { db, make, verifier } = await setup({ authFailuresPerMinute: 3 });
    const created = await make();
    // Ten valid tokens first seen: each attempt is given back, so none uses up the budget.
    for (let i = 0; i < 10; i++) expect((await verifier.verify(created.token, { ip: '192.0.2.9' })).ok).toBe(true);
    // Parallel made-up tokens: only as many lookups as the budget.
    const watcher = watchDatabaseCalls(db);
    let verdicts;
    try {
      verdicts = await Promise.all(
        Array.from({ length: 8 }, () => verifier.verify(generateApiToken(), { ip: '192.0.2.9' })),
      );
    } finally {
      watcher.stop();
    }
    expect(verdicts.filter((v) => !v.ok && v.status === 401)).toHaveLength(3);
    expect(verdicts.filter((v) => !v.ok && v.status === 429)).toHaveLength(5);
    expect(watcher.calls.filter((call) => /api_tokens/.test(call.sql))).toHaveLength(3);
  });

  it('counts an IPv6 client by its /64, and IPv4-mapped addresses as the IPv4 one', async () => {
    const { verifier } = await setup({ ipPerMinute: 2 });
    expect((await verifier.verify(undefined, { ip: '2001:db8:1:2::1' })).ok).toBe(false);
    expect((await verifier.verify(undefined, { ip: '2001:db8:1:2:ffff::9' })).ok).toBe(false);
    expect(await verifier.verify(undefined, { ip: '2001:db8:1:2::77' })).toMatchObject({ status: 429 });
    expect(await verifier.verify(undefined, { ip: '2001:db8:1:3::1' })).toMatchObject({ status: 401 });
    await verifier.verify(undefined, { ip: '203.0.113.5' });
    await verifier.verify(undefined, { ip: '::ffff:203.0.113.5' });
    expect(await verifier.verify(undefined, { ip: '203.0.113.5' })).toMatchObject({ status: 429 });
  });

  it('a service client has its own key and limit and no failure budget; "none" counts no client', async () => {
    const { make, verifier } = await setup({ authFailuresPerMinute: 1, ipPerMinute: 1 });
    const created = await make({ allowedIps: ['198.51.100.0/24'] });
    const service = { key: 'service:billing', perMinute: 5 };
    // Bad tokens through the service do not lock it out, nor count against an address.
    for (let i = 0; i < 3; i++) {
      expect(await verifier.verify(generateApiToken(), { limitBy: service })).toMatchObject({
        status: 401,
        rateLimit: { limit: 5 },
      });
    }
    // Without a client address the service's own address does not stand for the user's.
    expect((await verifier.verify(created.token, { limitBy: service, checkAddress: false })).ok).toBe(true);
    expect(await verifier.verify(created.token, { limitBy: service, ip: '192.0.2.1' })).toMatchObject({ status: 403 });
    expect(await verifier.verify(created.token, { limitBy: service })).toMatchObject({ status: 429 });
    const none = await verifier.verify(created.token, { limitBy: 'none', ip: '198.51.100.1' });
    expect(none).toMatchObject({ ok: true, rateLimit: { limit: 1000 } });
  });

  it('looks a token up once for parallel requests presenting it, then serves them all', async () => {
    const { db, clock, make } = await setup({ authFailuresPerMinute: 1 });
    const created = await make();
    const { ApiTokenCache, subscribeToRevocations } = await import('../src/server-only/runtime/token-cache');
    const cache = new ApiTokenCache(db, 100);
    const unsubscribe = subscribeToRevocations(db, cache);
    cleanup.push(() => Promise.resolve(unsubscribe()));
    await cache.refresh();
    cache.freshUntil = Infinity;
    cache.watchers = 1;
    const limiter = new RateLimiter(new MemoryRateLimitStore(clock), clock);
    const verifier = createVerifier({ db, clock, cache, limiter, limits: { authFailuresPerMinute: 1 } });
    const watcher = watchDatabaseCalls(db);
    let verdicts;
    try {
      verdicts = await Promise.all(
        Array.from({ length: 5 }, () => verifier.verify(created.token, { ip: '192.0.2.1' })),
      );
    } finally {
      watcher.stop();
    }
    // One attempt of a budget of one: the others waited for its lookup instead of counting their own.
    expect(verdicts.every((v) => v.ok)).toBe(true);
    expect(watcher.calls.filter((call) => /from "?api_tokens"?/i.test(call.sql))).toHaveLength(1);
  });

  it('records a use of every valid token, a failure for a refused one, a refused address once a minute', async () => {
    const { db, clock, user, make } = await setup();
    const usage = createUsageRecorder({ db, clock });
    cleanup.push(() => usage.close());
    const limiter = new RateLimiter(new MemoryRateLimitStore(clock), clock);
    const verifier = createVerifier({ db, clock, cache: null, limiter, usage });
    const office = await make({ allowedIps: ['198.51.100.0/24'] });
    expect((await verifier.verify(office.token, { ip: '198.51.100.1' })).ok).toBe(true);
    for (let i = 0; i < 3; i++) expect((await verifier.verify(office.token, { ip: '192.0.2.1' })).ok).toBe(false);
    expect((await verifier.verify(generateApiToken(), { ip: '192.0.2.1' })).ok).toBe(false);
    await usage.flush();
    const row = await db
      .selectFrom('api_token_usage')
      .select(['requests', 'failed'])
      .where('token_id', '=', office.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ requests: 4, failed: 3 });
    // The events are written in the background.
    for (let i = 0; i < 100; i++) {
      const { events } = await getAuditEvents({ db, userId: user.id, type: 'token.ip_refused' });
      if (events.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const { events } = await getAuditEvents({ db, userId: user.id, type: 'token.ip_refused' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ tokenId: office.id, ip: '192.0.2.1' });
  });

  it('refuses a token whose owner was disabled', async () => {
    const { db, clock, user, make, verifier } = await setup();
    const created = await make();
    expect((await verifier.verify(created.token)).ok).toBe(true);
    await disableUser({ db, clock, email: user.email });
    expect(await verifier.verify(created.token)).toMatchObject({ status: 401, message: 'Invalid token' });
  });

  it('makes no database call for a malformed token, and one for a well-formed one', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    await checkApiToken({ db, clock, token: generateApiToken() }); // prepares the lookup once
    const watcher = watchDatabaseCalls(db);
    try {
      await checkApiToken({ db, clock, token: `${generateApiToken().slice(0, 39)}-` });
      expect(watcher.calls).toEqual([]);
      await checkApiToken({ db, clock, token: generateApiToken() });
      expect(watcher.calls.filter((call) => /api_tokens/.test(call.sql))).toHaveLength(1);
      expect(watcher.calls.filter((call) => !/api_tokens|^pragma data_version$/.test(call.sql))).toEqual([]);
    } finally {
      watcher.stop();
    }
  });
});

it('the verifier works on an in-memory SQLite database, which has no reader connection', async () => {
  const db = createDatabase(':memory:');
  try {
    await migrateToLatest(db);
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'In memory' });
    expect(engineOf(db)?.reader).toBeUndefined();
    expect(await checkApiToken({ db, clock, token: created.token })).toMatchObject({
      ok: true,
      token: { id: created.id },
    });
    expect(await checkApiToken({ db, clock, token: generateApiToken() })).toEqual({
      ok: false,
      message: 'Invalid token',
    });
  } finally {
    await db.destroy();
  }
});
