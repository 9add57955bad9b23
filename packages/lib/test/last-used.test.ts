// lastUsedAt: kept in memory by the usage recorder and written in batches, never during the check itself,
// and accurate to within 60 seconds.
import { afterEach, expect, it, vi } from 'vitest';
import type { Db } from '../src/db/create-database';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { getApiTokenById } from '../src/server-only/public-api/get-api-token-by-id';
import { getApiTokens } from '../src/server-only/public-api/get-api-tokens';
import {
  createUsageRecorder,
  LAST_USED_ACCURACY_MS,
  type UsageRecorder,
} from '../src/server-only/runtime/usage-recorder';
import { describeEachDatabase } from '../src/testing/index';
import { getApiTokenByToken, insertUser, useToken, watchDatabaseCalls } from './helpers';

const START = Date.UTC(2026, 8, 1, 12, 0, 0);

async function storedLastUsed(db: Db, id: number): Promise<number | null> {
  const row = await db.selectFrom('api_tokens').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow();
  return row.last_used_at === null ? null : Number(row.last_used_at);
}

describeEachDatabase('lastUsedAt recording', (getDatabase) => {
  const trackers: UsageRecorder[] = [];
  afterEach(async () => {
    for (const tracker of trackers.splice(0)) await tracker.close();
    vi.useRealTimers();
  });

  async function setup(flushIntervalMs?: number) {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Tracked token' });
    const tracker = createUsageRecorder({ db, clock, ...(flushIntervalMs ? { flushIntervalMs } : {}) });
    trackers.push(tracker);
    return { db, clock, user, created, tracker };
  }

  it('a batch never moves lastUsedAt backwards (another server may have written a later use)', async () => {
    const { db, clock, created, tracker } = await setup();
    const later = clock.now() + 10 * 60_000;
    await db.updateTable('api_tokens').set({ last_used_at: later }).where('id', '=', created.id).execute();
    tracker.recordRequest(created.id, clock.now(), null, null, null);
    await tracker.flush();
    expect(await storedLastUsed(db, created.id)).toBe(later);
    // A newer use does move it forwards.
    tracker.recordRequest(created.id, clock.now(), null, null, null);
    clock.set(later + 1000);
    tracker.recordRequest(created.id, clock.now(), null, null, null);
    await tracker.flush();
    expect(await storedLastUsed(db, created.id)).toBe(later + 1000);
  });

  it('a new token has never been used', async () => {
    const { db, created } = await setup();
    expect(created.lastUsedAt).toBeNull();
    expect(await storedLastUsed(db, created.id)).toBeNull();
  });

  it('the check writes nothing: lastUsedAt is still null right after it, and only a select was sent', async () => {
    const { db, clock, created, tracker } = await setup();
    const watcher = watchDatabaseCalls(db);
    try {
      await useToken(tracker, { db, clock, token: created.token });
    } finally {
      watcher.stop();
    }
    expect(watcher.calls.some((call) => /^\s*select/i.test(call.sql))).toBe(true);
    expect(watcher.calls.filter((call) => /^\s*(insert|update|delete)/i.test(call.sql))).toEqual([]);
    expect(tracker.pending).toBe(1);
    expect(await storedLastUsed(db, created.id)).toBeNull();
  });

  it('flush() writes the time of the use, which then shows in the listing, by id and in the next check', async () => {
    const { db, clock, user, created, tracker } = await setup();
    await useToken(tracker, { db, clock, token: created.token });
    const usedAt = clock.now();
    clock.advance(5000);

    await tracker.flush();
    expect(tracker.pending).toBe(0);
    expect(await storedLastUsed(db, created.id)).toBe(usedAt);
    expect((await getApiTokenById({ db, clock, userId: user.id, id: created.id })).lastUsedAt).toEqual(
      new Date(usedAt),
    );
    expect((await getApiTokens({ db, clock, userId: user.id })).tokens[0]!.lastUsedAt).toEqual(new Date(usedAt));
    expect((await getApiTokenByToken({ db, clock, token: created.token })).lastUsedAt).toBe(usedAt);
  });

  it('a check without a tracker records nothing', async () => {
    const { db, clock, created, tracker } = await setup();
    await getApiTokenByToken({ db, clock, token: created.token });
    expect(tracker.pending).toBe(0);
    await tracker.flush();
    expect(await storedLastUsed(db, created.id)).toBeNull();
  });

  it('stop() writes the uses still pending, as on shutdown', async () => {
    const { db, clock, created, tracker } = await setup();
    await useToken(tracker, { db, clock, token: created.token });
    expect(await storedLastUsed(db, created.id)).toBeNull();
    await tracker.close();
    expect(tracker.pending).toBe(0);
    expect(await storedLastUsed(db, created.id)).toBe(START);
  });

  it('writes many tokens in one flush', async () => {
    const { db, clock, user, tracker } = await setup();
    const tokens = [];
    for (let i = 0; i < 5; i++)
      tokens.push(await createApiToken({ db, clock, userId: user.id, name: `Batch token ${i}` }));
    for (const [i, t] of tokens.entries()) {
      clock.set(START + i * 1000);
      await useToken(tracker, { db, clock, token: t.token });
    }
    expect(tracker.pending).toBe(5);
    await tracker.flush();
    for (const [i, t] of tokens.entries()) expect(await storedLastUsed(db, t.id)).toBe(START + i * 1000);
  });

  it('two uses before a flush are one pending write, holding the later time', async () => {
    const { db, clock, created, tracker } = await setup();
    await useToken(tracker, { db, clock, token: created.token });
    clock.advance(10_000);
    await useToken(tracker, { db, clock, token: created.token });
    expect(tracker.pending).toBe(1);
    await tracker.flush();
    expect(await storedLastUsed(db, created.id)).toBe(START + 10_000);
  });

  it('a use soon after the stored time writes no new lastUsedAt; a use later than that does', async () => {
    const { db, clock, created, tracker } = await setup();
    await useToken(tracker, { db, clock, token: created.token });
    await tracker.flush();
    expect(await storedLastUsed(db, created.id)).toBe(START);

    // Default flush interval 30 s: a stored time younger than 30 s is close enough. The request is
    // still counted, so the tracker has something to write, but not the time.
    clock.set(START + 29_999);
    await useToken(tracker, { db, clock, token: created.token });
    const watcher = watchDatabaseCalls(db);
    await tracker.flush();
    watcher.stop();
    expect(watcher.calls.some((call) => /update "api_tokens"/i.test(call.sql))).toBe(false);
    expect(watcher.calls.some((call) => /insert into "api_token_usage"/i.test(call.sql))).toBe(true);
    expect(await storedLastUsed(db, created.id)).toBe(START);

    clock.set(START + 30_000);
    await useToken(tracker, { db, clock, token: created.token });
    await tracker.flush();
    expect(await storedLastUsed(db, created.id)).toBe(START + 30_000);
  });

  it('with a flush every 30 s, the stored lastUsedAt is never more than 60 s behind the last use', async () => {
    const { db, clock, created, tracker } = await setup();
    let lastFlush = START;
    // A use every 7 s for 5 minutes, the tracker flushing every 30 s as its timer would.
    for (let t = START; t <= START + 5 * 60_000; t += 7_000) {
      clock.set(t);
      if (t - lastFlush >= 30_000) {
        await tracker.flush();
        lastFlush = t;
      }
      await useToken(tracker, { db, clock, token: created.token });
      const lastUse = t;
      const stored = await storedLastUsed(db, created.id);
      if (t - START >= LAST_USED_ACCURACY_MS) {
        expect(stored).not.toBeNull();
        expect(lastUse - stored!).toBeLessThanOrEqual(LAST_USED_ACCURACY_MS);
      }
    }
  });

  it('flushes on its own every flushIntervalMs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { db, clock, created, tracker } = await setup(10_000);
    await useToken(tracker, { db, clock, token: created.token });
    vi.advanceTimersByTime(9_999);
    expect(tracker.pending).toBe(1);
    vi.advanceTimersByTime(1);
    expect(tracker.pending).toBe(0);
    await tracker.flush(); // waits for the write the timer started
    expect(await storedLastUsed(db, created.id)).toBe(START);
  });

  it('a use of a token deleted before the flush is dropped, not kept for another try', async () => {
    const { db, clock, created, tracker } = await setup();
    await useToken(tracker, { db, clock, token: created.token });
    await db.deleteFrom('api_tokens').where('id', '=', created.id).execute();
    await tracker.flush();
    expect(tracker.pending).toBe(0);
  });

  it('a write that fails keeps the uses for the next flush', async () => {
    const { db, clock, user } = await setup();
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Retried token' });
    let broken = true;
    const flaky = new Proxy(db, {
      get(target, property, receiver) {
        if (broken) throw new Error('database unavailable');
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const tracker = createUsageRecorder({ db: flaky, clock });
    trackers.push(tracker);
    await useToken(tracker, { db, clock, token: created.token });

    await tracker.flush();
    expect(tracker.pending).toBe(1);
    expect(await storedLastUsed(db, created.id)).toBeNull();

    broken = false;
    await tracker.flush();
    expect(tracker.pending).toBe(0);
    expect(await storedLastUsed(db, created.id)).toBe(START);
  });
});
