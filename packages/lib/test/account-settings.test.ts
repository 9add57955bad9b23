// Account settings: changing the password (the current one required; every other session ends),
// listing the signed-in sessions and signing out everywhere else; renaming and deleting a team
// (its ADMINs only; deleting revokes its tokens at once).
import { expect, it } from 'vitest';
import { getAuditEvents } from '../src/server-only/audit/get-audit-events';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { getAccountSessions, signOutOtherSessions } from '../src/server-only/session/account-sessions';
import { createSession } from '../src/server-only/session/create-session';
import { getSessionUser } from '../src/server-only/session/get-session-user';
import { getTeams } from '../src/server-only/team/get-teams';
import { deleteTeam, renameTeam } from '../src/server-only/team/rename-and-delete-team';
import { changePassword, WRONG_CURRENT_PASSWORD } from '../src/server-only/user/change-password';
import { createUser } from '../src/server-only/user/create-user';
import { verifyUserCredentials } from '../src/server-only/user/verify-user-credentials';
import { describeEachDatabase } from '../src/testing/index';
import { checkApiToken, expectAppError, insertUser, makeTeam, unique } from './helpers';

const START = Date.UTC(2026, 4, 10, 12, 30, 0);
const OLD_PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'violet tractor umbrella 42';

describeEachDatabase('account settings', (getDatabase) => {
  async function signedUpUser() {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await createUser({
      db,
      clock,
      name: 'Ann',
      email: `${unique('ann')}@example.test`,
      password: OLD_PASSWORD,
    });
    const laptop = await createSession({
      db,
      clock,
      userId: user.id,
      audit: { ip: '198.51.100.7', userAgent: 'Firefox' },
    });
    clock.advance(60_000);
    const phone = await createSession({
      db,
      clock,
      userId: user.id,
      audit: { ip: '2001:db8::1', userAgent: 'Safari' },
    });
    return { db, clock, user, laptop, phone };
  }

  it('lists the signed-in sessions, newest first, with the current one marked, and never a session id', async () => {
    const { db, clock, user, laptop, phone } = await signedUpUser();
    const sessions = await getAccountSessions({ db, clock, userId: user.id, currentSessionId: laptop.sessionId });
    expect(sessions.map((s) => [s.ip, s.userAgent, s.current])).toEqual([
      ['2001:db8::1', 'Safari', false],
      ['198.51.100.7', 'Firefox', true],
    ]);
    expect(JSON.stringify(sessions)).not.toContain(laptop.sessionId);
    expect(JSON.stringify(sessions)).not.toContain(phone.sessionId);
  });

  it('signs out everywhere else: the other sessions end, this one stays', async () => {
    const { db, clock, user, laptop, phone } = await signedUpUser();
    expect(await signOutOtherSessions({ db, clock, userId: user.id, currentSessionId: laptop.sessionId })).toEqual({
      ended: 1,
    });
    expect(await getSessionUser({ db, clock, sessionId: phone.sessionId })).toBeNull();
    expect(await getSessionUser({ db, clock, sessionId: laptop.sessionId })).toMatchObject({ id: user.id });
    const { events } = await getAuditEvents({ db, userId: user.id, type: 'user.sessions_ended' });
    expect(events[0]!.details).toEqual({ ended: 1 });
  });

  it('changes the password only with the current one, ends other sessions, refuses a weak new one', async () => {
    const { db, clock, user, laptop, phone } = await signedUpUser();
    const change = (currentPassword: string, newPassword: string) =>
      changePassword({ db, clock, userId: user.id, currentPassword, newPassword, currentSessionId: laptop.sessionId });
    const wrong = await expectAppError(change('not my password', NEW_PASSWORD), 'INVALID_BODY', WRONG_CURRENT_PASSWORD);
    expect(wrong.issues).toEqual([{ path: 'currentPassword', message: WRONG_CURRENT_PASSWORD }]);
    expect((await expectAppError(change(OLD_PASSWORD, 'short'), 'INVALID_BODY')).issues?.[0]?.path).toBe('newPassword');
    expect((await expectAppError(change(OLD_PASSWORD, 'password123'), 'INVALID_BODY')).issues?.[0]?.path).toBe(
      'newPassword',
    );
    // Nothing changed so far: both sessions live, the old password works.
    expect(await getSessionUser({ db, clock, sessionId: phone.sessionId })).not.toBeNull();

    expect(await change(OLD_PASSWORD, NEW_PASSWORD)).toEqual({ endedSessions: 1 });
    expect(await getSessionUser({ db, clock, sessionId: phone.sessionId })).toBeNull();
    expect(await getSessionUser({ db, clock, sessionId: laptop.sessionId })).toMatchObject({ id: user.id });
    await expectAppError(
      verifyUserCredentials({ db, clock, email: user.email, password: OLD_PASSWORD }),
      'UNAUTHORIZED',
    );
    expect(await verifyUserCredentials({ db, clock, email: user.email, password: NEW_PASSWORD })).toMatchObject({
      id: user.id,
    });
    const { events } = await getAuditEvents({ db, userId: user.id, type: 'user.password_changed' });
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toEqual({ endedSessions: 1 });
  });

  it('renames a team for its ADMINs only; deleting it revokes its tokens and is logged for the admin', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const admin = await insertUser(db, clock);
    const manager = await insertUser(db, clock);
    const team = await makeTeam(db, clock, admin, [[manager, 'MANAGER']]);
    await expectAppError(renameTeam({ db, clock, userId: manager.id, teamId: team.id, name: 'Mine' }), 'FORBIDDEN');
    await expectAppError(renameTeam({ db, clock, userId: admin.id, teamId: team.id, name: ' ' }), 'INVALID_BODY');
    expect(await renameTeam({ db, clock, userId: admin.id, teamId: team.id, name: 'Flight Research' })).toEqual({
      id: team.id,
      name: 'Flight Research',
      slug: team.slug,
    });
    const renamed = (await getAuditEvents({ db, userId: admin.id, teamId: team.id, type: 'team.renamed' })).events;
    expect(renamed[0]!.details).toEqual({ name: 'Flight Research', previousName: team.name });

    const tokens = [
      await createApiToken({ db, clock, userId: admin.id, teamId: team.id, name: 'Deploy' }),
      await createApiToken({ db, clock, userId: admin.id, teamId: team.id, name: 'Export' }),
    ];
    const personal = await createApiToken({ db, clock, userId: admin.id, name: 'Mine' });
    expect((await checkApiToken({ db, clock, token: tokens[0]!.token })).ok).toBe(true);
    await expectAppError(deleteTeam({ db, clock, userId: manager.id, teamId: team.id }), 'FORBIDDEN');
    expect(await deleteTeam({ db, clock, userId: admin.id, teamId: team.id })).toEqual({ revokedTokens: 2 });
    for (const token of tokens) expect((await checkApiToken({ db, clock, token: token.token })).ok).toBe(false);
    expect((await checkApiToken({ db, clock, token: personal.token })).ok).toBe(true);
    expect(await getTeams({ db, userId: manager.id })).toEqual([]);
    const deleted = (await getAuditEvents({ db, userId: admin.id, type: 'team.deleted' })).events;
    expect(deleted[0]!.details).toEqual({
      teamId: team.id,
      name: 'Flight Research',
      slug: team.slug,
      revokedTokens: 2,
    });
    await expectAppError(deleteTeam({ db, clock, userId: admin.id, teamId: team.id }), 'NOT_FOUND');
  });
});
