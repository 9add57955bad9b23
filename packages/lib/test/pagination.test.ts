// getApiTokens pages: newest first, `limit` and `cursor`, `nextCursor` null on the last page.
import { expect, it } from 'vitest';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { deleteApiTokenById } from '../src/server-only/public-api/delete-api-token-by-id';
import { getApiTokens } from '../src/server-only/public-api/get-api-tokens';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { engineOf } from '../src/db/database-engine';
import { describeEachDatabase } from '../src/testing/index';
import { DAY_MS, expectAppError, insertUser, makeTeam } from './helpers';

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
    expect(page.tokens.map((t) => t.name)).toEqual([
      'Token number 3',
      'Token number 2',
      'Token number 1',
      'Token number 0',
    ]);
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
    const page = await getApiTokens({
      db,
      clock,
      userId: user.id,
      limit: 5,
      cursor: newestFirst[newestFirst.length - 1]!,
    });
    expect(page).toEqual({ tokens: [], nextCursor: null });
  });

  it('a token deleted between pages does not break the walk', async () => {
    const { db, clock, user, newestFirst } = await userWithTokens(5);
    const first = await getApiTokens({ db, clock, userId: user.id, limit: 2 });
    await deleteApiTokenById({ clock, db, userId: user.id, id: first.nextCursor! });
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
    expect((await getApiTokens({ db, clock, userId: user.id, limit: 1000 })).tokens.map((t) => t.id)).toEqual(
      newestFirst,
    );
  });

  it('lists the same tokens via the SQLite reader as via Kysely in a transaction, for every kind of row', async () => {
    const { db, kind } = getDatabase();
    const clock = new ManualClock();
    const admin = await insertUser(db, clock, { name: 'List Admin' });
    const maker = await insertUser(db, clock, { name: 'Soon Deleted' });
    const team = await makeTeam(db, clock, admin, [[maker, 'ADMIN']]);
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await createApiToken({
        db,
        clock,
        userId: admin.id,
        name: `Personal ${i}`,
        expiresIn: i % 2 ? 'SEVEN_DAYS' : 'NEVER',
        scopes: i === 3 ? ['tokens:read'] : undefined,
      });
      await createApiToken({ db, clock, userId: maker.id, teamId: team.id, name: `Team ${i}` });
    }
    const rotated = await createApiToken({ db, clock, userId: admin.id, name: 'Rotated with grace' });
    await rotateApiToken({ db, clock, userId: admin.id, id: rotated.id, gracePeriodSeconds: 3600 });
    const gone = await createApiToken({ db, clock, userId: admin.id, name: 'Rotated at once' });
    await rotateApiToken({ db, clock, userId: admin.id, id: gone.id, gracePeriodSeconds: 0 });
    // The maker's account is removed: their team tokens stay, with no creator.
    await db.deleteFrom('users').where('id', '=', maker.id).execute();
    clock.advance(8 * DAY_MS); // the SEVEN_DAYS tokens are now expired, the grace period is over

    if (kind === 'sqlite') expect(engineOf(db)?.reader).toBeDefined();
    for (const actor of [{ userId: admin.id }, { userId: admin.id, teamId: team.id }]) {
      for (const page of [{}, { limit: 2 }, { limit: 3, cursor: undefined as number | undefined }]) {
        const direct = await getApiTokens({ db, clock, ...actor, ...page });
        const viaKysely = await db.transaction().execute((trx) => getApiTokens({ db: trx, clock, ...actor, ...page }));
        expect(direct).toEqual(viaKysely);
        expect(direct.tokens.length).toBeGreaterThan(0);
        if (direct.nextCursor !== null) {
          const next = { ...page, cursor: direct.nextCursor };
          expect(await getApiTokens({ db, clock, ...actor, ...next })).toEqual(
            await db.transaction().execute((trx) => getApiTokens({ db: trx, clock, ...actor, ...next })),
          );
        }
      }
    }
    const all = await getApiTokens({ db, clock, userId: admin.id });
    expect(all.tokens.map((t) => t.status)).toContain('expired');
    // A rotated token's successor keeps its name; the rotated-out one is gone from the list.
    expect(all.tokens.filter((t) => t.name === 'Rotated at once').map((t) => t.id)).not.toContain(gone.id);
    expect(all.tokens.filter((t) => t.name === 'Rotated with grace').map((t) => t.id)).not.toContain(rotated.id);
    expect(all.tokens.filter((t) => t.name.startsWith('Rotated'))).toHaveLength(2);
    const teamTokens = await getApiTokens({ db, clock, userId: admin.id, teamId: team.id });
    expect(teamTokens.tokens.every((t) => t.createdBy === null)).toBe(true);
  });
});
