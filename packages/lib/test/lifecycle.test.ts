// Deleting, rotating and revoking tokens, and disabling their user: each takes effect at once
// (or when a rotation's grace period ends), on the very next check.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken, DEFAULT_MAX_TOKENS_PER_OWNER } from '../src/server-only/public-api/create-api-token';
import { deleteApiTokenById } from '../src/server-only/public-api/delete-api-token-by-id';
import { getApiTokenById } from '../src/server-only/public-api/get-api-token-by-id';
import { getApiTokens } from '../src/server-only/public-api/get-api-tokens';
import { revokeApiTokenByToken } from '../src/server-only/public-api/revoke-api-token-by-token';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { disableUser } from '../src/server-only/user/disable-user';
import { describeEachDatabase } from '../src/testing/index';
import type { AppError } from '../src/errors/app-error';
import { generateApiToken, tokenStart } from '../src/universal/token-format';
import { hashSecret, TOKEN_HASH_ALGORITHM } from '../src/server-only/hash';
import { countRows, DAY_MS, expectAppError, getApiTokenByToken, insertUser, makeTeam } from './helpers';

const START = Date.UTC(2026, 4, 1, 8, 0, 0);

describeEachDatabase('token lifecycle', (getDatabase) => {
  async function setup(options: { expiresIn?: string; scopes?: string[] } = {}) {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Lifecycle token', ...options });
    const listIds = async () => (await getApiTokens({ db, clock, userId: user.id })).tokens.map((t) => t.id);
    return { db, clock, user, created, listIds };
  }

  describe('deleting', () => {
    it('a deleted token fails the very next check with "Invalid token" and is gone everywhere', async () => {
      const { db, clock, user, created, listIds } = await setup();
      expect((await getApiTokenByToken({ db, clock, token: created.token })).id).toBe(created.id);

      await deleteApiTokenById({ clock, db, userId: user.id, id: created.id });

      await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Invalid token');
      expect(await listIds()).toEqual([]);
      await expectAppError(getApiTokenById({ db, clock, userId: user.id, id: created.id }), 'NOT_FOUND');
      await expectAppError(deleteApiTokenById({ clock, db, userId: user.id, id: created.id }), 'NOT_FOUND');
      await expectAppError(rotateApiToken({ db, clock, userId: user.id, id: created.id }), 'NOT_FOUND');
    });

    it('deleting one token leaves the owner’s others working', async () => {
      const { db, clock, user, created, listIds } = await setup();
      const kept = await createApiToken({ db, clock, userId: user.id, name: 'Kept token' });
      await deleteApiTokenById({ clock, db, userId: user.id, id: created.id });
      expect(await listIds()).toEqual([kept.id]);
      expect((await getApiTokenByToken({ db, clock, token: kept.token })).id).toBe(kept.id);
    });

    it('revokeApiTokenByToken (a leaked token) deletes it by value at once; a second revoke is NOT_FOUND', async () => {
      const { db, clock, created, listIds } = await setup();
      expect(await revokeApiTokenByToken({ clock, db, token: `  ${created.token}\n` })).toEqual({
        id: created.id,
        name: 'Lifecycle token',
      });
      await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Invalid token');
      expect(await listIds()).toEqual([]);
      await expectAppError(revokeApiTokenByToken({ clock, db, token: created.token }), 'NOT_FOUND');
      await expectAppError(revokeApiTokenByToken({ clock, db, token: generateApiToken() }), 'NOT_FOUND');
      await expectAppError(
        revokeApiTokenByToken({ clock, db, token: `${created.token.slice(0, 39)}!` }),
        'INVALID_REQUEST',
      );
    });
  });

  describe('rotating', () => {
    it('without a grace period (the default) the old token fails at once and the new one works', async () => {
      const { db, clock, user, created, listIds } = await setup();
      const rotated = await rotateApiToken({ db, clock, userId: user.id, id: created.id });

      expect(rotated.token).not.toBe(created.token);
      expect(rotated.id).not.toBe(created.id);
      await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Invalid token');
      expect((await getApiTokenByToken({ db, clock, token: rotated.token })).id).toBe(rotated.id);
      expect(await listIds()).toEqual([rotated.id]);
    });

    it('with gracePeriodSeconds 0 the old token fails at once', async () => {
      const { db, clock, user, created, listIds } = await setup();
      const rotated = await rotateApiToken({ db, clock, userId: user.id, id: created.id, gracePeriodSeconds: 0 });
      await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Invalid token');
      expect((await getApiTokenByToken({ db, clock, token: rotated.token })).id).toBe(rotated.id);
      expect(await listIds()).toEqual([rotated.id]);
    });

    it('with a grace period both work until it ends; then the old token fails and leaves the listing', async () => {
      const { db, clock, user, created, listIds } = await setup();
      const rotated = await rotateApiToken({ db, clock, userId: user.id, id: created.id, gracePeriodSeconds: 3600 });
      const graceEnd = START + 3600 * 1000;
      expect(rotated.previousTokenStopsAt).toEqual(new Date(graceEnd));

      for (const at of [START, START + 1000, graceEnd - 1]) {
        clock.set(at);
        expect((await getApiTokenByToken({ db, clock, token: created.token })).id).toBe(created.id);
        expect((await getApiTokenByToken({ db, clock, token: rotated.token })).id).toBe(rotated.id);
      }
      // While both live, the old one is retiring and shows when it will stop; the new one is active.
      clock.set(START);
      expect(await listIds()).toEqual([rotated.id, created.id]);
      const listed = (await getApiTokens({ db, clock, userId: user.id })).tokens;
      expect(listed.map((t) => [t.id, t.status])).toEqual([
        [rotated.id, 'active'],
        [created.id, 'retiring'],
      ]);
      expect(listed[1]!.expiresAt).toEqual(new Date(graceEnd));
      const byId = await getApiTokenById({ db, clock, userId: user.id, id: created.id });
      expect(byId).toMatchObject({ status: 'retiring', expiresAt: new Date(graceEnd) });
      expect((await getApiTokenByToken({ db, clock, token: created.token })).expiresAt).toBe(graceEnd);

      clock.set(graceEnd);
      await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Invalid token');
      expect((await getApiTokenByToken({ db, clock, token: rotated.token })).id).toBe(rotated.id);
      expect(await listIds()).toEqual([rotated.id]);
      await expectAppError(getApiTokenById({ db, clock, userId: user.id, id: created.id }), 'NOT_FOUND');
      await expectAppError(rotateApiToken({ db, clock, userId: user.id, id: created.id }), 'NOT_FOUND');
    });

    it('a retiring token cannot be rotated again: INVALID_REQUEST, create a new one; nothing changes', async () => {
      const { db, clock, user, created, listIds } = await setup();
      const rotated = await rotateApiToken({ db, clock, userId: user.id, id: created.id, gracePeriodSeconds: 60 });
      clock.advance(1000);
      for (const gracePeriodSeconds of [3600, 0]) {
        const again = rotateApiToken({ db, clock, userId: user.id, id: created.id, gracePeriodSeconds });
        await expectAppError(again, 'INVALID_REQUEST', /create a new token/);
      }
      expect(await listIds()).toEqual([rotated.id, created.id]);
      // Its grace period was neither lengthened nor cut short.
      clock.set(START + 60_000 - 1);
      expect((await getApiTokenByToken({ db, clock, token: created.token })).id).toBe(created.id);
      clock.set(START + 60_000);
      await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Invalid token');
    });

    it('an expired token cannot be rotated: INVALID_REQUEST, create a new one; nothing is created', async () => {
      const { db, clock, user, created, listIds } = await setup({ expiresIn: 'SEVEN_DAYS' });
      clock.set(START + 7 * DAY_MS);
      const before = await countRows(db, 'api_tokens');
      const rotation = rotateApiToken({ db, clock, userId: user.id, id: created.id });
      const error = await expectAppError(rotation, 'INVALID_REQUEST', /expired/);
      expect(error.message).toMatch(/create a new token/);
      expect(await countRows(db, 'api_tokens')).toBe(before);
      expect(await listIds()).toEqual([created.id]);
      expect((await getApiTokenById({ db, clock, userId: user.id, id: created.id })).status).toBe('expired');
    });

    it('previousTokenStopsAt: now without grace; the own expiry when it comes before the grace ends', async () => {
      const { db, clock, user, created } = await setup({ expiresIn: 'SEVEN_DAYS' });
      clock.set(START + 7 * DAY_MS - 30 * 60_000);
      const rotated = await rotateApiToken({ db, clock, userId: user.id, id: created.id, gracePeriodSeconds: 3600 });
      expect(rotated.previousTokenStopsAt).toEqual(new Date(START + 7 * DAY_MS));
      const old = await getApiTokenById({ db, clock, userId: user.id, id: created.id });
      expect(old.expiresAt).toEqual(new Date(START + 7 * DAY_MS));

      const other = await createApiToken({ db, clock, userId: user.id, name: 'Rotated at once' });
      clock.advance(5000);
      const atOnce = await rotateApiToken({ db, clock, userId: user.id, id: other.id, gracePeriodSeconds: 0 });
      expect(atOnce.previousTokenStopsAt).toEqual(new Date(clock.now()));
    });

    it('the maximum grace period, 604800 seconds (7 days), is accepted and honoured', async () => {
      const { db, clock, user, created } = await setup();
      await rotateApiToken({ db, clock, userId: user.id, id: created.id, gracePeriodSeconds: 604_800 });
      clock.set(START + 7 * DAY_MS - 1);
      expect((await getApiTokenByToken({ db, clock, token: created.token })).id).toBe(created.id);
      clock.set(START + 7 * DAY_MS);
      await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Invalid token');
    });

    it('keeps the name, the scopes and the lifetime length; the new lifetime counts from the rotation', async () => {
      const { db, clock, user, created } = await setup({ expiresIn: 'ONE_MONTH', scopes: ['tokens:read'] });
      clock.set(START + 10 * DAY_MS);
      const rotated = await rotateApiToken({ db, clock, userId: user.id, id: created.id });

      expect(rotated).toMatchObject({ name: 'Lifecycle token', scopes: ['tokens:read'], status: 'active' });
      expect(rotated.createdAt).toEqual(new Date(START + 10 * DAY_MS));
      expect(rotated.expiresAt).toEqual(new Date(START + 40 * DAY_MS));
      expect(rotated.start).toBe(rotated.token.slice(0, 8));
      const verified = await getApiTokenByToken({ db, clock, token: rotated.token });
      expect(verified).toMatchObject({
        name: 'Lifecycle token',
        scopes: ['tokens:read'],
        expiresAt: START + 40 * DAY_MS,
      });
    });

    it('a token that never expires is rotated into one that never expires', async () => {
      const { db, clock, user, created } = await setup({ expiresIn: 'NEVER' });
      const rotated = await rotateApiToken({ db, clock, userId: user.id, id: created.id });
      expect(rotated.expiresAt).toBeNull();
    });

    it('a team token rotates into a team token of the same team', async () => {
      const { db } = getDatabase();
      const clock = new ManualClock(START);
      const admin = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin);
      const created = await createApiToken({ db, clock, userId: admin.id, teamId: team.id, name: 'Team token' });
      const rotated = await rotateApiToken({ db, clock, userId: admin.id, teamId: team.id, id: created.id });
      expect((await getApiTokenByToken({ db, clock, token: rotated.token })).owner).toEqual({
        kind: 'team',
        teamId: team.id,
      });
      expect((await getApiTokens({ db, clock, userId: admin.id, teamId: team.id })).tokens.map((t) => t.id)).toEqual([
        rotated.id,
      ]);
    });

    it('of 10 parallel rotations of a token with no grace period, one wins and the others are NOT_FOUND', async () => {
      const { db, clock, user, created, listIds } = await setup();
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => rotateApiToken({ db, clock, userId: user.id, id: created.id })),
      );
      const winners = results.filter((r) => r.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('NOT_FOUND');
      expect(await listIds()).toEqual([winners[0]!.value.id]);
      await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Invalid token');
    });

    it('of parallel rotations with grace one wins, the rest find it retiring', async () => {
      const { db, clock, user, created } = await setup();
      const graces = [3600, 60, 7200, 600, 3600, 86_400, 120, 3600, 900, 1800];
      const results = await Promise.allSettled(
        graces.map((gracePeriodSeconds) =>
          rotateApiToken({ db, clock, userId: user.id, id: created.id, gracePeriodSeconds }),
        ),
      );
      const winners = results.filter((r) => r.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('INVALID_REQUEST');
      }
      const stopsAt = winners[0]!.value.previousTokenStopsAt.getTime();
      clock.set(stopsAt - 1);
      expect((await getApiTokenByToken({ db, clock, token: created.token })).id).toBe(created.id);
      clock.set(stopsAt);
      await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Invalid token');
    });

    it.each([
      ['over 7 days', 604_801],
      ['negative', -1],
      ['not a whole number', 1.5],
      ['text', '60'],
      ['not a number', Number.NaN],
      ['infinite', Number.POSITIVE_INFINITY],
    ])(
      'a grace period that is %s is an INVALID_BODY validation error, and nothing changes',
      async (_what, gracePeriodSeconds) => {
        const { db, clock, user, created, listIds } = await setup();
        const before = await countRows(db, 'api_tokens');
        const error = await expectAppError(
          rotateApiToken({
            db,
            clock,
            userId: user.id,
            id: created.id,
            gracePeriodSeconds: gracePeriodSeconds as number,
          }),
          'INVALID_BODY',
        );
        expect(error.message).toMatch(/Grace period/);
        expect(await countRows(db, 'api_tokens')).toBe(before);
        expect(await listIds()).toEqual([created.id]);
        expect((await getApiTokenByToken({ db, clock, token: created.token })).id).toBe(created.id);
      },
    );
  });

  describe('disabling the user', () => {
    it('a disabled user’s personal tokens fail at once with "Invalid token"', async () => {
      const { db, clock, user, created } = await setup();
      const second = await createApiToken({ db, clock, userId: user.id, name: 'Second token' });
      const bystander = await insertUser(db, clock);
      const theirs = await createApiToken({ db, clock, userId: bystander.id, name: 'Bystander token' });

      await disableUser({ db, clock, email: user.email });

      await expectAppError(getApiTokenByToken({ db, clock, token: created.token }), 'UNAUTHORIZED', 'Invalid token');
      await expectAppError(getApiTokenByToken({ db, clock, token: second.token }), 'UNAUTHORIZED', 'Invalid token');
      expect((await getApiTokenByToken({ db, clock, token: theirs.token })).id).toBe(theirs.id);
    });

    it('disabling an unknown e-mail is NOT_FOUND', async () => {
      const { db } = getDatabase();
      await expectAppError(
        disableUser({ db, clock: new ManualClock(), email: 'nobody-at-all@example.test' }),
        'NOT_FOUND',
      );
    });
  });
});

describeEachDatabase('the cap on tokens per owner', (getDatabase) => {
  const CAP_MESSAGE = /already ha(s|ve) \d+ tokens?, the most one owner may have \(\d+\)/;

  it('refuses a token past the cap with a 400 naming it; deletes make room; each owner counts apart', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const team = await makeTeam(db, clock, user);
    const create = (name: string, teamId: number | null = null) =>
      createApiToken({ db, clock, userId: user.id, teamId, name, maxTokensPerOwner: 3 });
    const made = [await create('one'), await create('two'), await create('three')];
    const error = await expectAppError(create('four'), 'INVALID_REQUEST', CAP_MESSAGE);
    expect(error.message).toBe(
      'You already have 3 tokens, the most one owner may have (3); ' +
        'delete tokens you no longer need (expired ones first) before making more',
    );
    expect(await countRows(db, 'api_tokens')).toBe(3);
    // The team is another owner, with its own count.
    for (const name of ['team one', 'team two', 'team three']) await create(name, team.id);
    await expectAppError(create('team four', team.id), 'INVALID_REQUEST', /^This team already has 3 tokens/);

    await deleteApiTokenById({ clock, db, userId: user.id, id: made[0]!.id });
    await create('four');
    // Rotation replaces a token: it is never refused by the cap, even while the old one is retiring.
    const rotated = await rotateApiToken({ db, clock, userId: user.id, id: made[1]!.id, gracePeriodSeconds: 60 });
    expect(rotated.name).toBe('two');
    await expectAppError(create('five'), 'INVALID_REQUEST', CAP_MESSAGE);
    // A retiring token counts while it works, and no longer once its grace period is over.
    await deleteApiTokenById({ clock, db, userId: user.id, id: made[2]!.id });
    await expectAppError(create('five'), 'INVALID_REQUEST', CAP_MESSAGE);
    clock.advance(61_000);
    await create('five');
  });

  it('is 1,000 by default', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    expect(DEFAULT_MAX_TOKENS_PER_OWNER).toBe(1000);
    // 999 tokens written directly (creating them one by one would only be slower).
    const rows = Array.from({ length: 999 }, (_, i) => {
      const token = generateApiToken();
      return {
        name: `bulk ${i}`,
        token_hash: hashSecret(token),
        algorithm: TOKEN_HASH_ALGORITHM,
        start: tokenStart(token),
        scopes: '["tokens:read"]',
        expires_at: null,
        revoke_at: null,
        created_at: START,
        last_used_at: null,
        user_id: user.id,
        team_id: null,
        created_by: user.id,
        allowed_ips: '[]',
      };
    });
    for (let i = 0; i < rows.length; i += 200)
      await db
        .insertInto('api_tokens')
        .values(rows.slice(i, i + 200))
        .execute();
    await createApiToken({ db, clock, userId: user.id, name: 'the thousandth' });
    await expectAppError(
      createApiToken({ db, clock, userId: user.id, name: 'one too many' }),
      'INVALID_REQUEST',
      CAP_MESSAGE,
    );
  });

  it('parallel creates for one owner stop exactly at the cap', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const team = await makeTeam(db, clock, user);
    for (const teamId of [null, team.id]) {
      const results = await Promise.allSettled(
        Array.from({ length: 24 }, (_, i) =>
          createApiToken({ db, clock, userId: user.id, teamId, name: `racer ${i}`, maxTokensPerOwner: 5 }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      for (const result of results) {
        if (result.status === 'rejected') expect((result.reason as AppError).code).toBe('INVALID_REQUEST');
      }
      const live = await db
        .selectFrom('api_tokens')
        .select('id')
        .where(teamId === null ? 'user_id' : 'team_id', '=', teamId ?? user.id)
        .execute();
      expect(live).toHaveLength(5);
    }
  });
});
