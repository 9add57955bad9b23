// The verified-token cache: every write that ends a token refuses it on the very next check in the
// same process, another Db on the same database sees it within the bound, a check racing a
// revocation cannot put the old row back, and the cache is bounded, keeps no unknown hashes and
// judges expiry from the clock.
import { afterEach, expect, it } from 'vitest';
import { createDatabase, type Db } from '../src/db/create-database';
import { ManualClock } from '../src/server-only/clock';
import { hashSecret } from '../src/server-only/hash';
import { apiTokenCacheOf } from '../src/server-only/public-api/api-token-cache';
import {
  checkApiToken,
  checkApiTokenAfterMiss,
  checkCachedApiToken,
} from '../src/server-only/public-api/check-api-token';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { deleteApiTokenById } from '../src/server-only/public-api/delete-api-token-by-id';
import { invalidateApiTokens } from '../src/server-only/public-api/invalidate-api-tokens';
import { revokeApiTokenByToken } from '../src/server-only/public-api/revoke-api-token-by-token';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { watchRevocations, type RevocationWatcher } from '../src/server-only/public-api/watch-revocations';
import { disableUser } from '../src/server-only/user/disable-user';
import { describeEachDatabase } from '../src/testing/index';
import { generateApiToken } from '../src/universal/token-format';
import { DAY_MS, insertUser, makeTeam, watchDatabaseCalls } from './helpers';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A watcher on `db` (PostgreSQL needs one before its cache is trusted), stopped after the test. */
async function watched(db: Db): Promise<RevocationWatcher> {
  const watcher = watchRevocations({ db });
  cleanup.push(() => watcher.stop());
  // Until its first poll, a PostgreSQL cache is not trusted; wait for it.
  const cache = apiTokenCacheOf(db)!;
  for (let i = 0; i < 200 && cache.readiness() !== true; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(cache.readiness()).toBe(true);
  return watcher;
}

function cached(db: Db, token: string): boolean {
  return apiTokenCacheOf(db)!.get(hashSecret(token)) !== undefined;
}

describeEachDatabase('verified-token cache', (getDatabase) => {
  async function setup() {
    const { db } = getDatabase();
    const clock = new ManualClock();
    await watched(db);
    const user = await insertUser(db, clock);
    const make = async (name = 'Cached') => createApiToken({ db, clock, userId: user.id, name });
    return { db, clock, user, make };
  }

  async function expectCachedThenRefused(db: Db, clock: ManualClock, token: string, revoke: () => Promise<unknown>) {
    expect((await checkApiToken({ db, clock, token })).ok).toBe(true);
    expect(cached(db, token)).toBe(true);
    await revoke();
    expect(cached(db, token)).toBe(false);
    expect(await checkApiToken({ db, clock, token })).toEqual({ ok: false, message: 'Invalid token' });
  }

  it('delete, rotation, revocation by value and disabling the owner refuse the token on the next check', async () => {
    const { db, clock, user, make } = await setup();
    const deleted = await make();
    await expectCachedThenRefused(db, clock, deleted.token, () =>
      deleteApiTokenById({ clock, db, userId: user.id, id: deleted.id }),
    );
    const rotated = await make();
    await expectCachedThenRefused(db, clock, rotated.token, () =>
      rotateApiToken({ db, clock, userId: user.id, id: rotated.id }),
    );
    const revoked = await make();
    await expectCachedThenRefused(db, clock, revoked.token, () =>
      revokeApiTokenByToken({ clock, db, token: revoked.token }),
    );
    const personal = await make();
    const { email } = user;
    await expectCachedThenRefused(db, clock, personal.token, () => disableUser({ db, clock, email }));
  });

  it('a rotation with a grace period ends the cached token when the grace ends, by the clock', async () => {
    const { db, clock, user, make } = await setup();
    const old = await make();
    expect((await checkApiToken({ db, clock, token: old.token })).ok).toBe(true);
    await rotateApiToken({ db, clock, userId: user.id, id: old.id, gracePeriodSeconds: 60 });
    expect((await checkApiToken({ db, clock, token: old.token })).ok).toBe(true);
    expect(cached(db, old.token)).toBe(true);
    clock.advance(60_000);
    expect(await checkApiToken({ db, clock, token: old.token })).toEqual({ ok: false, message: 'Invalid token' });
  });

  it('a team target drops the team tokens, a user target the tokens that user made for a team', async () => {
    const { db, clock, user } = await setup();
    const team = await makeTeam(db, clock, user);
    const teamToken = await createApiToken({ db, clock, userId: user.id, teamId: team.id, name: 'Team token' });
    const mine = await createApiToken({ db, clock, userId: user.id, name: 'Mine' });
    for (const { token } of [teamToken, mine]) await checkApiToken({ db, clock, token });
    await invalidateApiTokens(db, { teamId: team.id });
    expect([cached(db, teamToken.token), cached(db, mine.token)]).toEqual([false, true]);
    await checkApiToken({ db, clock, token: teamToken.token });
    await invalidateApiTokens(db, { userId: user.id });
    expect([cached(db, teamToken.token), cached(db, mine.token)]).toEqual([false, false]);
  });

  it('a check that reads the old row while the revoking transaction is open does not keep it', async () => {
    const { db, clock, user, make } = await setup();
    const created = await make();
    const trx = await db.startTransaction().execute();
    await trx.deleteFrom('api_tokens').where('id', '=', created.id).execute();
    await invalidateApiTokens(trx, { tokenIds: [created.id] });
    // Not committed yet: the token is still valid, and this check reads (and would cache) its row.
    expect((await checkApiToken({ db, clock, token: created.token })).ok).toBe(true);
    await trx.commit().execute();
    expect(cached(db, created.token)).toBe(false);
    expect(await checkApiToken({ db, clock, token: created.token })).toEqual({ ok: false, message: 'Invalid token' });
    expect(user.id).toBeGreaterThan(0);
  });

  it('a rolled-back revocation leaves the token valid', async () => {
    const { db, clock, user, make } = await setup();
    const created = await make();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.deleteFrom('api_tokens').where('id', '=', created.id).execute();
        await invalidateApiTokens(trx, { tokenIds: [created.id] });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await checkApiToken({ db, clock, token: created.token })).ok).toBe(true);
    expect(user.id).toBeGreaterThan(0);
  });

  it('answers a cached token from memory, judging expiry by the clock', async () => {
    const { db, clock, user } = await setup();
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Week', expiresIn: 'SEVEN_DAYS' });
    expect((await checkApiToken({ db, clock, token: created.token })).ok).toBe(true);
    clock.advance(7 * DAY_MS);
    const watcher = watchDatabaseCalls(db);
    try {
      expect(await checkApiToken({ db, clock, token: created.token })).toEqual({ ok: false, message: 'Expired token' });
    } finally {
      watcher.stop();
    }
    expect(watcher.calls.filter((call) => /api_tokens/.test(call.sql))).toEqual([]);
  });

  it('checkCachedApiToken answers from memory alone, and names a miss for the lookup to finish', async () => {
    const { db, clock, user, make } = await setup();
    const known = await make();
    const watcher = watchDatabaseCalls(db);
    let miss;
    try {
      // Not seen yet: a miss, and no database work until checkApiTokenAfterMiss.
      miss = checkCachedApiToken({ db, clock, token: known.token });
      expect(miss).toEqual({ hash: hashSecret(known.token) });
      expect(checkCachedApiToken({ db, clock, token: generateApiToken() }).ok).toBeUndefined();
      expect(checkCachedApiToken({ db, clock, token: 'api_short' })).toEqual({ ok: false, message: 'Invalid token' });
      expect(checkCachedApiToken({ db, clock, token: `${known.token.slice(0, 39)}_` })).toMatchObject({ ok: false });
      expect(watcher.calls.filter((call) => /api_tokens/.test(call.sql))).toEqual([]);
    } finally {
      watcher.stop();
    }
    expect('hash' in miss && (await checkApiTokenAfterMiss({ db, clock, token: known.token }, miss))).toMatchObject({
      ok: true,
      token: { id: known.id },
    });
    // Now cached: a verdict with no I/O, the same object checkApiToken gives.
    const seen = watchDatabaseCalls(db);
    try {
      const verdict = checkCachedApiToken({ db, clock, token: known.token });
      expect(verdict).toMatchObject({ ok: true, token: { id: known.id } });
      expect(verdict).toBe(await checkApiToken({ db, clock, token: known.token }));
    } finally {
      seen.stop();
    }
    expect(seen.calls.filter((call) => /api_tokens/.test(call.sql))).toEqual([]);
    // Deleted: no longer a verdict from memory, and the lookup refuses it.
    await deleteApiTokenById({ clock, db, userId: user.id, id: known.id });
    const after = checkCachedApiToken({ db, clock, token: known.token });
    expect(after.ok).toBeUndefined();
    expect('hash' in after && (await checkApiTokenAfterMiss({ db, clock, token: known.token }, after))).toEqual({
      ok: false,
      message: 'Invalid token',
    });
  });

  it('keeps no unknown hashes', async () => {
    const { db, clock, make } = await setup();
    const known = await make();
    await checkApiToken({ db, clock, token: known.token });
    const size = apiTokenCacheOf(db)!.size;
    for (let i = 0; i < 50; i++) expect((await checkApiToken({ db, clock, token: generateApiToken() })).ok).toBe(false);
    expect(apiTokenCacheOf(db)!.size).toBe(size);
    expect(cached(db, known.token)).toBe(true);
  });

  it('holds at most TOKEN_CACHE_SIZE entries, the least recently used out', async () => {
    const { db: main, url } = getDatabase();
    const clock = new ManualClock();
    const db = createDatabase(url, { tokenCacheSize: 3 });
    cleanup.push(() => db.destroy());
    await watched(db);
    const user = await insertUser(db, clock);
    const tokens = [];
    for (let i = 0; i < 5; i++)
      tokens.push((await createApiToken({ db, clock, userId: user.id, name: `Token ${i}` })).token);
    for (const token of tokens) expect((await checkApiToken({ db, clock, token })).ok).toBe(true);
    expect(apiTokenCacheOf(db)!.size).toBe(3);
    expect(tokens.map((token) => cached(db, token))).toEqual([false, false, true, true, true]);
    expect((await checkApiToken({ db, clock, token: tokens[0]! })).ok).toBe(true);
    expect(main).toBeDefined();
  });

  it('a second Db on the same database refuses a token revoked through the first within the bound', async () => {
    const { db, url } = getDatabase();
    const clock = new ManualClock();
    const other = createDatabase(url);
    cleanup.push(() => other.destroy());
    await watched(other);
    const user = await insertUser(db, clock);
    for (const revoke of ['delete', 'disable'] as const) {
      const owner = revoke === 'delete' ? user : await insertUser(db, clock);
      const created = await createApiToken({ db, clock, userId: owner.id, name: 'Seen elsewhere' });
      expect((await checkApiToken({ db: other, clock, token: created.token })).ok).toBe(true);
      expect(cached(other, created.token)).toBe(true);
      if (revoke === 'delete') await deleteApiTokenById({ clock, db, userId: owner.id, id: created.id });
      else await disableUser({ db, clock, email: owner.email });
      const revokedAt = performance.now();
      while ((await checkApiToken({ db: other, clock, token: created.token })).ok) {
        expect(performance.now() - revokedAt).toBeLessThan(1000);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(performance.now() - revokedAt).toBeLessThan(1000);
    }
  });
});
