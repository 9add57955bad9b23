// Token lifetimes: each `expiresIn` gives the documented expiry, expired tokens are refused and
// shown as expired, and anything but a known lifetime is a validation error.
import { expect, it } from 'vitest';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { getApiTokenById } from '../src/server-only/public-api/get-api-token-by-id';
import { getApiTokens } from '../src/server-only/public-api/get-api-tokens';
import { describeEachDatabase } from '../src/testing/index';
import { EXPIRES_IN_VALUES } from '../src/universal/expires-in';
import { countRows, DAY_MS, expectAppError, getApiTokenByToken, insertUser } from './helpers';

const START = Date.UTC(2026, 2, 15, 10, 30, 45, 123);

const EXPECTED_DAYS = [
  ['NEVER', null],
  ['SEVEN_DAYS', 7],
  ['ONE_MONTH', 30],
  ['THREE_MONTHS', 90],
  ['SIX_MONTHS', 180],
  ['ONE_YEAR', 365],
] as const;

describeEachDatabase('token expiry', (getDatabase) => {
  it('the table below covers every lifetime the library offers', () => {
    expect(EXPECTED_DAYS.map(([value]) => value)).toEqual([...EXPIRES_IN_VALUES]);
  });

  it.each(EXPECTED_DAYS)(
    'expiresIn %s sets expiresAt to createdAt + %s days (null: never) in the result, listing, by id and in the check',
    async (expiresIn, days) => {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const user = await insertUser(db, clock);
      const expected = days === null ? null : new Date(START + days * DAY_MS);

      const created = await createApiToken({ db, clock, userId: user.id, name: `Lifetime ${expiresIn}`, expiresIn });
      expect(created.createdAt).toEqual(new Date(START));
      expect(created.expiresAt).toEqual(expected);
      expect(created.status).toBe('active');

      clock.advance(1000);
      expect((await getApiTokenById({ db, clock, userId: user.id, id: created.id })).expiresAt).toEqual(expected);
      expect((await getApiTokens({ db, clock, userId: user.id })).tokens[0]!.expiresAt).toEqual(expected);
      const verified = await getApiTokenByToken({ db, clock, token: created.token });
      expect(verified.expiresAt).toBe(expected === null ? null : expected.getTime());
    },
  );

  it('an omitted expiresIn means NEVER', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'No expiry given' });
    expect(created.expiresAt).toBeNull();
    clock.advance(100 * 365 * DAY_MS);
    expect((await getApiTokenByToken({ db, clock, token: created.token })).id).toBe(created.id);
  });

  it('a token works until the last millisecond before its expiry, then is refused with "Expired token"', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Short lived', expiresIn: 'SEVEN_DAYS' });

    clock.set(START + 7 * DAY_MS - 1);
    expect((await getApiTokenByToken({ db, clock, token: created.token })).id).toBe(created.id);
    clock.set(START + 7 * DAY_MS);
    await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Expired token');
    clock.advance(365 * DAY_MS);
    await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Expired token');
  });

  it('an expired token is listed with status "expired" (and a live one "active") until it is deleted', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const shortLived = await createApiToken({
      db,
      clock,
      userId: user.id,
      name: 'Week token',
      expiresIn: 'SEVEN_DAYS',
    });
    const longLived = await createApiToken({ db, clock, userId: user.id, name: 'Month token', expiresIn: 'ONE_MONTH' });

    const statuses = async () =>
      Object.fromEntries((await getApiTokens({ db, clock, userId: user.id })).tokens.map((t) => [t.name, t.status]));
    expect(await statuses()).toEqual({ 'Week token': 'active', 'Month token': 'active' });

    clock.set(START + 7 * DAY_MS - 1);
    expect(await statuses()).toEqual({ 'Week token': 'active', 'Month token': 'active' });
    clock.set(START + 7 * DAY_MS);
    expect(await statuses()).toEqual({ 'Week token': 'expired', 'Month token': 'active' });
    expect((await getApiTokenById({ db, clock, userId: user.id, id: shortLived.id })).status).toBe('expired');
    expect((await getApiTokenById({ db, clock, userId: user.id, id: longLived.id })).status).toBe('active');

    clock.set(START + 31 * DAY_MS);
    expect(await statuses()).toEqual({ 'Week token': 'expired', 'Month token': 'expired' });
  });

  it.each([
    ['FOREVER', 'FOREVER'],
    ['a number', 5],
    ['null', null],
    ['the empty string', ''],
    ['a lower-case value', 'never'],
    ['a number of days as text', '7'],
    ['an object', { days: 7 }],
  ])(
    'an unknown expiresIn (%s) is an INVALID_BODY validation error, and nothing is created',
    async (_what, expiresIn) => {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const user = await insertUser(db, clock);
      const before = await countRows(db, 'api_tokens');

      const error = await expectAppError(
        createApiToken({ db, clock, userId: user.id, name: 'Bad lifetime', expiresIn: expiresIn as string }),
        'INVALID_BODY',
        /Expiry must be one of NEVER, SEVEN_DAYS, ONE_MONTH, THREE_MONTHS, SIX_MONTHS, ONE_YEAR/,
      );
      expect(error.issues?.map((issue) => issue.path)).toEqual(['expiresIn']);
      expect(await countRows(db, 'api_tokens')).toBe(before);
    },
  );
});
