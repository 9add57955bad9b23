// getApiTokens pages: newest first, `limit` and `cursor`, `nextCursor` null on the last page.
import { expect, it } from 'vitest';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { deleteApiTokenById } from '../src/server-only/public-api/delete-api-token-by-id';
import { getApiTokens } from '../src/server-only/public-api/get-api-tokens';
import { describeEachDatabase } from '../src/testing/index';
import { expectAppError, insertUser } from './helpers';

describeEachDatabase('getApiTokens pagination', (getDatabase) => {
  async function userWithTokens(count: number) {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      clock.advance(1000);
      ids.push((await createApiToken({ db, clock, userId: user.id, name: `Token number ${i}` })).id);
    }
    // Another owner's tokens, interleaved, must never show up.
    const other = await insertUser(db, clock);
    await createApiToken({ db, clock, userId: other.id, name: 'Not mine' });
    return { db, clock, user, newestFirst: ids.reverse() };
  }

  it('without a limit lists every token, newest first, with nextCursor null', async () => {
    const { db, clock, user, newestFirst } = await userWithTokens(4);
    const page = await getApiTokens({ db, clock, userId: user.id });
    expect(page.tokens.map((t) => t.id)).toEqual(newestFirst);
    expect(page.tokens.map((t) => t.name)).toEqual(['Token number 3', 'Token number 2', 'Token number 1', 'Token number 0']);
    expect(page.nextCursor).toBeNull();
  });

  it('walks 7 tokens in pages of 3 (3, 3, 1) with no gap or repeat, ending with nextCursor null', async () => {
    const { db, clock, user, newestFirst } = await userWithTokens(7);

    const first = await getApiTokens({ db, clock, userId: user.id, limit: 3 });
    expect(first.tokens.map((t) => t.id)).toEqual(newestFirst.slice(0, 3));
    expect(first.nextCursor).toBe(newestFirst[2]);

    const second = await getApiTokens({ db, clock, userId: user.id, limit: 3, cursor: first.nextCursor! });
    expect(second.tokens.map((t) => t.id)).toEqual(newestFirst.slice(3, 6));
    expect(second.nextCursor).toBe(newestFirst[5]);

    const third = await getApiTokens({ db, clock, userId: user.id, limit: 3, cursor: second.nextCursor! });
    expect(third.tokens.map((t) => t.id)).toEqual(newestFirst.slice(6));
    expect(third.nextCursor).toBeNull();
  });

  it('a limit equal to the number of tokens returns them all with nextCursor null', async () => {
    const { db, clock, user, newestFirst } = await userWithTokens(3);
    const page = await getApiTokens({ db, clock, userId: user.id, limit: 3 });
    expect(page.tokens.map((t) => t.id)).toEqual(newestFirst);
    expect(page.nextCursor).toBeNull();
  });

  it('a limit of 1 walks the tokens one by one', async () => {
    const { db, clock, user, newestFirst } = await userWithTokens(3);
    const seen: number[] = [];
    let cursor: number | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await getApiTokens({ db, clock, userId: user.id, limit: 1, ...(cursor ? { cursor } : {}) });
      expect(page.tokens).toHaveLength(1);
      seen.push(page.tokens[0]!.id);
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(newestFirst);
  });

  it('a cursor past the oldest token gives an empty last page', async () => {
    const { db, clock, user, newestFirst } = await userWithTokens(2);
    const page = await getApiTokens({ db, clock, userId: user.id, limit: 5, cursor: newestFirst[newestFirst.length - 1]! });
    expect(page).toEqual({ tokens: [], nextCursor: null });
  });

  it('a token deleted between pages does not break the walk', async () => {
    const { db, clock, user, newestFirst } = await userWithTokens(5);
    const first = await getApiTokens({ db, clock, userId: user.id, limit: 2 });
    await deleteApiTokenById({ db, userId: user.id, id: first.nextCursor! });
    const second = await getApiTokens({ db, clock, userId: user.id, limit: 2, cursor: first.nextCursor! });
    expect(second.tokens.map((t) => t.id)).toEqual(newestFirst.slice(2, 4));
  });

  it.each([
    ['a limit of 0', { limit: 0 }],
    ['a negative limit', { limit: -1 }],
    ['a limit of 1001', { limit: 1001 }],
    ['a fractional limit', { limit: 2.5 }],
    ['a cursor of 0', { cursor: 0 }],
    ['a negative cursor', { cursor: -5 }],
    ['a text limit', { limit: '10' as unknown as number }],
  ])('%s is INVALID_REQUEST', async (_what, page) => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    await expectAppError(getApiTokens({ db, clock, userId: user.id, ...page }), 'INVALID_REQUEST');
  });

  it('the largest limit the library allows, 1000, is accepted', async () => {
    const { db, clock, user, newestFirst } = await userWithTokens(1);
    expect((await getApiTokens({ db, clock, userId: user.id, limit: 1000 })).tokens.map((t) => t.id)).toEqual(newestFirst);
  });
});
