// The verified-token cache: every write that ends a token refuses it on the very next check in the
// same process, another Db on the same database sees it within the bound, a check racing a
// revocation cannot put the old row back, and the cache is bounded, keeps no unknown hashes and
// judges expiry from the clock.
import { afterEach, expect, it } from 'vitest';
import { createDatabase, type Db } from '../src/db/create-database';
import { ManualClock } from '../src/server-only/clock';
import { hashSecret } from '../src/server-only/hash';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { deleteApiTokenById } from '../src/server-only/public-api/delete-api-token-by-id';
import { invalidateApiTokens } from '../src/server-only/public-api/invalidate-api-tokens';
import { revokeApiTokenByToken } from '../src/server-only/public-api/revoke-api-token-by-token';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { createLatchkey, type Latchkey } from '../src/server-only/runtime/create-latchkey';
import { disableUser } from '../src/server-only/user/disable-user';
import { describeEachDatabase } from '../src/testing/index';
import { generateApiToken } from '../src/universal/token-format';
import { DAY_MS, insertUser, makeTeam, watchDatabaseCalls } from './helpers';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A runtime on `db` (its cache, and on PostgreSQL its watcher), closed after the test. */
async function runtimeOn(db: Db, clock: ManualClock, tokenCacheSize?: number): Promise<Latchkey> {
  const latchkey = await createLatchkey({ database: db, clock, tokenCacheSize, retention: null });
  cleanup.push(() => latchkey.close());
  // Serving from the start: no extra call is needed on any database (the old cache on PostgreSQL
  // served only after a watcher had been started on the same object).
  expect(latchkey.cache.readiness()).toBe(true);
  return latchkey;
}

/** The runtime's verdict alone (no client limit), as `{ ok, … }` or `{ ok: false, message }`. */
async function check(latchkey: Latchkey, token: string) {
  const verdict = await latchkey.verify(token, { limitBy: 'none' });
  return verdict.ok ? verdict : { ok: false, message: verdict.message };
}

function cached(latchkey: Latchkey, token: string): boolean {
  return latchkey.cache.get(hashSecret(token)) !== undefined;
}

describeEachDatabase('verified-token cache', (getDatabase) => {
  async function setup() {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const lk = await runtimeOn(db, clock);
    const user = await insertUser(db, clock);
    const make = async (name = 'Cached') => createApiToken({ db, clock, userId: user.id, name });
    return { db, lk, clock, user, make };
  }

  async function expectCachedThenRefused(lk: Latchkey, token: string, revoke: () => Promise<unknown>) {
    expect((await check(lk, token)).ok).toBe(true);
    expect(cached(lk, token)).toBe(true);
    await revoke();
    expect(cached(lk, token)).toBe(false);
    expect(await check(lk, token)).toEqual({ ok: false, message: 'Invalid token' });
  }

  it('delete, rotation, revocation by value and disabling the owner refuse the token on the next check', async () => {
    const { db, lk, clock, user, make } = await setup();
    const deleted = await make();
    await expectCachedThenRefused(lk, deleted.token, () =>
      deleteApiTokenById({ clock, db, userId: user.id, id: deleted.id }),
    );
    const rotated = await make();
    await expectCachedThenRefused(lk, rotated.token, () =>
      rotateApiToken({ db, clock, userId: user.id, id: rotated.id }),
    );
    const revoked = await make();
    await expectCachedThenRefused(lk, revoked.token, () => revokeApiTokenByToken({ clock, db, token: revoked.token }));
    const personal = await make();
    const { email } = user;
    await expectCachedThenRefused(lk, personal.token, () => disableUser({ db, clock, email }));
  });

  it('a rotation with a grace period ends the cached token when the grace ends, by the clock', async () => {
    const { db, lk, clock, user, make } = await setup();
    const old = await make();
    expect((await check(lk, old.token)).ok).toBe(true);
    await rotateApiToken({ db, clock, userId: user.id, id: old.id, gracePeriodSeconds: 60 });
    expect((await check(lk, old.token)).ok).toBe(true);
    expect(cached(lk, old.token)).toBe(true);
    clock.advance(60_000);
    expect(await check(lk, old.token)).toEqual({ ok: false, message: 'Invalid token' });
  });

  it('a team target drops the team tokens, a user target the tokens that user made for a team', async () => {
    const { db, lk, clock, user } = await setup();
    const team = await makeTeam(db, clock, user);
    const teamToken = await createApiToken({ db, clock, userId: user.id, teamId: team.id, name: 'Team token' });
    const mine = await createApiToken({ db, clock, userId: user.id, name: 'Mine' });
    for (const { token } of [teamToken, mine]) await check(lk, token);
    await invalidateApiTokens(db, { teamId: team.id });
    expect([cached(lk, teamToken.token), cached(lk, mine.token)]).toEqual([false, true]);
    await check(lk, teamToken.token);
    await invalidateApiTokens(db, { userId: user.id });
    expect([cached(lk, teamToken.token), cached(lk, mine.token)]).toEqual([false, false]);
  });

  it('a check that reads the old row while the revoking transaction is open does not keep it', async () => {
    const { db, lk, user, make } = await setup();
    const created = await make();
    const trx = await db.startTransaction().execute();
    await trx.deleteFrom('api_tokens').where('id', '=', created.id).execute();
    await invalidateApiTokens(trx, { tokenIds: [created.id] });
    // Not committed yet: the token is still valid, and this check reads (and would cache) its row.
    expect((await check(lk, created.token)).ok).toBe(true);
    await trx.commit().execute();
    expect(cached(lk, created.token)).toBe(false);
    expect(await check(lk, created.token)).toEqual({ ok: false, message: 'Invalid token' });
    expect(user.id).toBeGreaterThan(0);
  });

  it('a rolled-back revocation leaves the token valid', async () => {
    const { db, lk, user, make } = await setup();
    const created = await make();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.deleteFrom('api_tokens').where('id', '=', created.id).execute();
        await invalidateApiTokens(trx, { tokenIds: [created.id] });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await check(lk, created.token)).ok).toBe(true);
    expect(user.id).toBeGreaterThan(0);
  });

  it('answers a cached token from memory, judging expiry by the clock', async () => {
    const { db, lk, clock, user } = await setup();
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Week', expiresIn: 'SEVEN_DAYS' });
    expect((await check(lk, created.token)).ok).toBe(true);
    clock.advance(7 * DAY_MS);
    const watcher = watchDatabaseCalls(db);
    try {
      expect(await check(lk, created.token)).toEqual({ ok: false, message: 'Expired token' });
    } finally {
      watcher.stop();
    }
    expect(watcher.calls.filter((call) => /api_tokens/.test(call.sql))).toEqual([]);
  });

  it('keeps no unknown hashes', async () => {
    const { lk, make } = await setup();
    const known = await make();
    await check(lk, known.token);
    const size = lk.cache.size;
    for (let i = 0; i < 50; i++) expect((await check(lk, generateApiToken())).ok).toBe(false);
    expect(lk.cache.size).toBe(size);
    expect(cached(lk, known.token)).toBe(true);
  });

  it('holds at most TOKEN_CACHE_SIZE entries, the least recently used out', async () => {
    const { db: main, url } = getDatabase();
    const clock = new ManualClock();
    const db = createDatabase(url);
    cleanup.push(() => db.destroy());
    const lk = await runtimeOn(db, clock, 3);
    const user = await insertUser(db, clock);
    const tokens = [];
    for (let i = 0; i < 5; i++)
      tokens.push((await createApiToken({ db, clock, userId: user.id, name: `Token ${i}` })).token);
    for (const token of tokens) expect((await check(lk, token)).ok).toBe(true);
    expect(lk.cache.size).toBe(3);
    expect(tokens.map((token) => cached(lk, token))).toEqual([false, false, true, true, true]);
    expect((await check(lk, tokens[0]!)).ok).toBe(true);
    expect(main).toBeDefined();
  });

  it('a second Db on the same database refuses a token revoked through the first within the bound', async () => {
    const { db, url } = getDatabase();
    const clock = new ManualClock();
    const other = createDatabase(url);
    cleanup.push(() => other.destroy());
    const otherLk = await runtimeOn(other, clock);
    const user = await insertUser(db, clock);
    for (const revoke of ['delete', 'disable'] as const) {
      const owner = revoke === 'delete' ? user : await insertUser(db, clock);
      const created = await createApiToken({ db, clock, userId: owner.id, name: 'Seen elsewhere' });
      expect((await check(otherLk, created.token)).ok).toBe(true);
      expect(cached(otherLk, created.token)).toBe(true);
      if (revoke === 'delete') await deleteApiTokenById({ clock, db, userId: owner.id, id: created.id });
      else await disableUser({ db, clock, email: owner.email });
      const revokedAt = performance.now();
      while ((await check(otherLk, created.token)).ok) {
        expect(performance.now() - revokedAt).toBeLessThan(1000);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(performance.now() - revokedAt).toBeLessThan(1000);
      // The refusal's look among rotated-away tokens writes in the background; let it finish
      // before this test writes through the other connection.
      await otherLk.retiredTokens.settled();
    }
  });
});
