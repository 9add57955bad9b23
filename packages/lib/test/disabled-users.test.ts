// Disabled users get no new token by any way in (a user, a token, the operator acting as them);
// disabling twice and enabling say what they did; the operator adds team members without an admin.
import { describe, expect, it } from 'vitest';
import { describeDatabaseLocation, parseDatabaseUrl } from '../src/db/database-location';
import { ManualClock } from '../src/server-only/clock';
import { OPERATOR } from '../src/server-only/operator';
import { getAuditEvents } from '../src/server-only/audit/get-audit-events';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { addTeamMember } from '../src/server-only/team/add-team-member';
import { getTeamRole } from '../src/server-only/team/get-team-role';
import { USER_DISABLED_NO_NEW_TOKENS } from '../src/server-only/user/check-users-of-new-token';
import { disableUser } from '../src/server-only/user/disable-user';
import { enableUser } from '../src/server-only/user/enable-user';
import { describeEachDatabase } from '../src/testing/index';
import { checkApiToken, countRows, expectAppError, getApiTokenByToken, insertUser, makeTeam } from './helpers';

describeEachDatabase('disabled users', (getDatabase) => {
  it('createApiToken refuses a personal token for a disabled user, and stores nothing', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    expect(await disableUser({ db, clock, email: user.email })).toEqual({
      alreadyDisabled: false,
      revokedTeamTokens: 0,
    });
    const before = await countRows(db, 'api_tokens');
    await expectAppError(
      createApiToken({ db, clock, userId: user.id, name: 'after leaving' }),
      'FORBIDDEN',
      USER_DISABLED_NO_NEW_TOKENS,
    );
    expect(await countRows(db, 'api_tokens')).toBe(before);
  });

  it('refuses a team token made by a disabled admin and one made via a personal token of a disabled user', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const admin = await insertUser(db, clock);
    const team = await makeTeam(db, clock, admin);
    const personal = await createApiToken({ db, clock, userId: admin.id, name: 'maker token' });
    const check = await checkApiToken({ db, clock, token: personal.token });
    if (!check.ok) throw new Error('token should be valid before the user is disabled');
    await disableUser({ db, clock, email: admin.email });
    await expectAppError(
      createApiToken({ db, clock, userId: admin.id, teamId: team.id, name: 'team token' }),
      'FORBIDDEN',
      USER_DISABLED_NO_NEW_TOKENS,
    );
    // A caller holding a verified token from before the disabling still cannot make a new one.
    await expectAppError(
      createApiToken({ db, clock, viaToken: check.token, name: 'child token' }),
      'FORBIDDEN',
      USER_DISABLED_NO_NEW_TOKENS,
    );
  });

  it('rotateApiToken refuses to give a disabled user a replacement, and keeps the old token row', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const token = await createApiToken({ db, clock, userId: user.id, name: 'to rotate' });
    await disableUser({ db, clock, email: user.email });
    await expectAppError(
      rotateApiToken({ db, clock, userId: user.id, id: token.id }),
      'FORBIDDEN',
      USER_DISABLED_NO_NEW_TOKENS,
    );
    const row = await db
      .selectFrom('api_tokens')
      .select(['id', 'revoke_at'])
      .where('id', '=', token.id)
      .executeTakeFirst();
    expect(row).toEqual({ id: token.id, revoke_at: null });
  });

  it(
    'disabling twice says it already is and keeps the first time; ' + 'enabling lets tokens be made and work again',
    async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const user = await insertUser(db, clock);
      const kept = await createApiToken({ db, clock, userId: user.id, name: 'kept token' });
      expect(await enableUser({ db, email: user.email })).toEqual({ alreadyEnabled: true });
      expect(await disableUser({ db, clock, email: user.email.toUpperCase() })).toEqual({
        alreadyDisabled: false,
        revokedTeamTokens: 0,
      });
      const first = await db
        .selectFrom('users')
        .select('disabled_at')
        .where('id', '=', user.id)
        .executeTakeFirstOrThrow();
      clock.advance(60_000);
      expect(await disableUser({ db, clock, email: user.email })).toEqual({
        alreadyDisabled: true,
        revokedTeamTokens: 0,
      });
      expect(
        await db.selectFrom('users').select('disabled_at').where('id', '=', user.id).executeTakeFirstOrThrow(),
      ).toEqual(first);
      expect((await checkApiToken({ db, clock, token: kept.token })).ok).toBe(false);

      expect(await enableUser({ db, email: ` ${user.email} ` })).toEqual({ alreadyEnabled: false });
      expect(await enableUser({ db, email: user.email })).toEqual({ alreadyEnabled: true });
      expect((await checkApiToken({ db, clock, token: kept.token })).ok).toBe(true);
      const fresh = await createApiToken({ db, clock, userId: user.id, name: 'after return' });
      expect((await checkApiToken({ db, clock, token: fresh.token })).ok).toBe(true);
    },
  );

  it(
    'disabling a user revokes the team tokens they made in every team (maker_disabled), ' +
      'and keeps their personal tokens and those other admins made',
    async () => {
      const { db } = getDatabase();
      const clock = new ManualClock();
      const frank = await insertUser(db, clock, { name: 'Frank' });
      const alice = await insertUser(db, clock, { name: 'Alice' });
      const one = await makeTeam(db, clock, alice, [[frank, 'ADMIN']]);
      const two = await makeTeam(db, clock, frank);
      const made = [
        await createApiToken({ db, clock, userId: frank.id, teamId: one.id, name: 'Frank in one' }),
        await createApiToken({ db, clock, userId: frank.id, teamId: two.id, name: 'Frank in two' }),
      ];
      const viaFrank = await getApiTokenByToken({ db, clock, token: made[1]!.token });
      made.push(await createApiToken({ db, clock, viaToken: viaFrank, name: 'Frank child in two' }));
      const alices = await createApiToken({ db, clock, userId: alice.id, teamId: one.id, name: 'Alice in one' });
      const personal = await createApiToken({ db, clock, userId: frank.id, name: 'Frank personal' });

      expect(await disableUser({ db, clock, email: frank.email })).toEqual({
        alreadyDisabled: false,
        revokedTeamTokens: 3,
      });
      for (const token of made) {
        expect(await checkApiToken({ db, clock, token: token.token })).toEqual({ ok: false, message: 'Invalid token' });
        expect(await db.selectFrom('api_tokens').select('id').where('id', '=', token.id).execute()).toEqual([]);
      }
      expect((await checkApiToken({ db, clock, token: alices.token })).ok).toBe(true);
      // Personal tokens are kept, refused while the user is disabled, as before.
      expect(await db.selectFrom('api_tokens').select('id').where('id', '=', personal.id).execute()).toHaveLength(1);
      // A verified team token from before cannot make another.
      await expectAppError(createApiToken({ db, clock, viaToken: viaFrank, name: 'After' }), 'FORBIDDEN');

      const { events } = await getAuditEvents({ db, userId: alice.id, teamId: one.id, type: 'token.revoked' });
      expect(events.map((e) => [e.tokenId, e.actor.kind, e.details.reason, e.details.userId])).toEqual([
        [made[0]!.id, 'cli', 'maker_disabled', frank.id],
      ]);
      const inTwo = await db
        .selectFrom('audit_events')
        .select(['token_id', 'details'])
        .where('team_id', '=', two.id)
        .where('type', '=', 'token.revoked')
        .orderBy('token_id')
        .execute();
      expect(inTwo.map((e) => [e.token_id, JSON.parse(e.details).reason])).toEqual([
        [made[1]!.id, 'maker_disabled'],
        [made[2]!.id, 'maker_disabled'],
      ]);
      // Enabling them again gives nothing back: the revoked tokens are gone.
      await enableUser({ db, email: frank.email });
      expect((await checkApiToken({ db, clock, token: made[0]!.token })).ok).toBe(false);
      expect((await checkApiToken({ db, clock, token: personal.token })).ok).toBe(true);
    },
  );

  it('children made through a team token while its maker is disabled never outlive the disabling', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const frank = await insertUser(db, clock);
    const team = await makeTeam(db, clock, frank);
    const parent = await createApiToken({ db, clock, userId: frank.id, teamId: team.id, name: 'Parent' });
    const viaToken = await getApiTokenByToken({ db, clock, token: parent.token });
    const results = await Promise.allSettled([
      ...Array.from({ length: 12 }, (_, i) => createApiToken({ db, clock, viaToken, name: `Early ${i}` })),
      disableUser({ db, clock, email: frank.email }),
      ...Array.from({ length: 12 }, (_, i) => createApiToken({ db, clock, viaToken, name: `Late ${i}` })),
    ]);
    expect(results[12]!.status).toBe('fulfilled');
    for (const result of results) {
      if (result.status === 'rejected') expect((result.reason as { code: string }).code).toBe('FORBIDDEN');
    }
    expect(await db.selectFrom('api_tokens').select('id').where('team_id', '=', team.id).execute()).toEqual([]);
  });

  it('disableUser and enableUser refuse an unknown e-mail with NOT_FOUND', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    await expectAppError(
      disableUser({ db, clock, email: 'nobody@example.test' }),
      'NOT_FOUND',
      'No user with that e-mail',
    );
    await expectAppError(enableUser({ db, email: 'nobody@example.test' }), 'NOT_FOUND', 'No user with that e-mail');
  });
});

describeEachDatabase('the operator adds team members', (getDatabase) => {
  it('adds a member without any admin acting, with the role given', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const admin = await insertUser(db, clock);
    const newcomer = await insertUser(db, clock);
    const team = await makeTeam(db, clock, admin);
    await addTeamMember({ db, clock, actor: OPERATOR, teamId: team.id, email: newcomer.email, role: 'MANAGER' });
    expect(await getTeamRole(db, team.id, newcomer.id)).toBe('MANAGER');
  });

  it('still applies every other rule: unknown team, unknown user, a second membership, a bad role', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const admin = await insertUser(db, clock);
    const team = await makeTeam(db, clock, admin);
    const add = (teamId: number, email: string, role: string) =>
      addTeamMember({ db, clock, actor: OPERATOR, teamId, email, role: role as 'ADMIN' });
    await expectAppError(add(team.id + 1000, admin.email, 'ADMIN'), 'NOT_FOUND');
    await expectAppError(
      add(team.id, 'ghost@example.test', 'ADMIN'),
      'NOT_FOUND',
      'No user with that e-mail; they need to sign up first',
    );
    await expectAppError(add(team.id, admin.email, 'MEMBER'), 'CONFLICT', 'That user is already a member of this team');
    await expectAppError(add(team.id, admin.email, 'OWNER'), 'INVALID_BODY');
  });

  it('a member who is not the team admin is still refused: only an explicit operator skips the check', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const admin = await insertUser(db, clock);
    const member = await insertUser(db, clock);
    const newcomer = await insertUser(db, clock);
    const team = await makeTeam(db, clock, admin, [[member, 'MEMBER']]);
    await expectAppError(
      addTeamMember({ db, clock, userId: member.id, teamId: team.id, email: newcomer.email, role: 'ADMIN' }),
      'FORBIDDEN',
      'You need to be a team admin to manage members',
    );
    const forged = {
      db,
      clock,
      actor: { kind: 'user' },
      teamId: team.id,
      email: newcomer.email,
      role: 'ADMIN',
    } as never;
    await expectAppError(addTeamMember(forged), 'NOT_FOUND');
    expect(await countRows(db, 'team_members')).toBeGreaterThan(0);
    await expectAppError(getTeamRole(db, team.id, newcomer.id), 'NOT_FOUND');
  });
});

describe('describeDatabaseLocation', () => {
  it('names the SQLite file, or the PostgreSQL host and database without user, password or query', () => {
    expect(describeDatabaseLocation(parseDatabaseUrl('/srv/latchkey/x.db'))).toBe('SQLite file /srv/latchkey/x.db');
    expect(describeDatabaseLocation(parseDatabaseUrl(':memory:'))).toBe('SQLite in memory');
    const text = describeDatabaseLocation(
      parseDatabaseUrl('postgres://app:s3cret-pw@db.internal:5433/latchkey?password=other'),
    );
    expect(text).toBe('PostgreSQL database latchkey on db.internal:5433');
    expect(text).not.toMatch(/s3cret|other|app/);
  });
});
