// The audit log: each change writes its event in its own transaction (none for a change that
// failed), with actor, address and user agent; who may read which log; filters and pages; retention.
import { describe, expect, it } from 'vitest';
import { getAuditEvents } from '../src/server-only/audit/get-audit-events';
import { purgeUsageAndAudit } from '../src/server-only/audit/purge-usage-and-audit';
import { recordAuditEvent } from '../src/server-only/audit/record-audit-event';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { deleteApiTokenById } from '../src/server-only/public-api/delete-api-token-by-id';
import { revokeApiTokenByToken } from '../src/server-only/public-api/revoke-api-token-by-token';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { createSession } from '../src/server-only/session/create-session';
import { removeTeamMember } from '../src/server-only/team/remove-team-member';
import { updateTeamMemberRole } from '../src/server-only/team/update-team-member-role';
import { createUser } from '../src/server-only/user/create-user';
import { disableUser } from '../src/server-only/user/disable-user';
import { verifyUserCredentials } from '../src/server-only/user/verify-user-credentials';
import { describeEachDatabase } from '../src/testing/index';
import { findSecretsInAuditEvents } from '../src/testing/find-secrets-in-audit-events';
import { DAY_MS, expectAppError, getApiTokenByToken, insertUser, makeTeam, unique } from './helpers';

const START = Date.UTC(2026, 4, 1, 8, 0, 0);
const FROM_BROWSER = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (test)' };

describeEachDatabase('audit log', (getDatabase) => {
  async function setup() {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    return { db, clock, user };
  }
  const typesOf = (page: { events: Array<{ type: string }> }) => page.events.map((e) => e.type);

  it('records create, rotate and delete with the actor, address and user agent, newest first', async () => {
    const { db, clock, user } = await setup();
    const audit = { actor: { kind: 'user' as const, id: user.id, name: user.name }, ...FROM_BROWSER };
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Audited', audit });
    clock.advance(1000);
    const rotated = await rotateApiToken({ db, clock, userId: user.id, id: created.id, gracePeriodSeconds: 60, audit });
    clock.advance(1000);
    await deleteApiTokenById({ db, clock, userId: user.id, id: rotated.id, audit });

    const page = await getAuditEvents({ db, userId: user.id });
    expect(typesOf(page)).toEqual(['token.deleted', 'token.rotated', 'token.created']);
    const [deleted, rotatedEvent, createdEvent] = page.events;
    expect(createdEvent).toMatchObject({
      tokenId: created.id,
      actor: { kind: 'user', id: user.id, name: user.name },
      ip: FROM_BROWSER.ip,
      userAgent: FROM_BROWSER.userAgent,
      createdAt: new Date(START),
      details: { name: 'Audited' },
    });
    expect(rotatedEvent).toMatchObject({
      tokenId: created.id,
      details: {
        newTokenId: rotated.id,
        gracePeriodSeconds: 60,
        previousTokenStopsAt: new Date(START + 61_000).toISOString(),
      },
    });
    expect(deleted).toMatchObject({ tokenId: rotated.id, createdAt: new Date(START + 2000) });
    expect(page.nextCursor).toBeNull();
  });

  it('gives every time in details as ISO 8601 text, also of events stored as epoch milliseconds', async () => {
    const { db, clock, user } = await setup();
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Month', expiresIn: 'ONE_MONTH' });
    const forever = await createApiToken({ db, clock, userId: user.id, name: 'Forever' });
    await rotateApiToken({ db, clock, userId: user.id, id: created.id, gracePeriodSeconds: 60 });
    // An event as versions before this one stored it, times as epoch milliseconds, written as they wrote it.
    const stored = JSON.stringify({
      name: 'Stored earlier',
      expiresAt: START + DAY_MS,
      previousTokenStopsAt: START,
      stoppedAt: START + 1,
    });
    await db
      .insertInto('audit_events')
      .values({
        type: 'token.created',
        created_at: START,
        actor_kind: 'cli',
        actor_id: null,
        actor_name: null,
        user_id: user.id,
        team_id: null,
        token_id: null,
        ip: null,
        user_agent: null,
        details: stored,
      })
      .execute();

    const events = (await getAuditEvents({ db, userId: user.id })).events;
    const details = (type: string, tokenId?: number) =>
      events.find((e) => e.type === type && (tokenId === undefined || e.tokenId === tokenId))!.details;
    expect(details('token.created', created.id).expiresAt).toBe(new Date(START + 30 * DAY_MS).toISOString());
    expect(details('token.created', forever.id).expiresAt).toBeNull();
    expect(details('token.rotated').previousTokenStopsAt).toBe(new Date(START + 60_000).toISOString());
    expect(events.find((e) => e.details.name === 'Stored earlier')!.details).toEqual({
      name: 'Stored earlier',
      expiresAt: new Date(START + DAY_MS).toISOString(),
      previousTokenStopsAt: new Date(START).toISOString(),
      stoppedAt: new Date(START + 1).toISOString(),
    });
    // Read, not rewritten: the stored event keeps what it had.
    const row = await db.selectFrom('audit_events').select('details').where('details', '=', stored).execute();
    expect(row).toHaveLength(1);
    // Every time in every event is text an ISO 8601 parser reads back to the same instant.
    for (const event of events) {
      for (const key of ['expiresAt', 'previousTokenStopsAt', 'stoppedAt']) {
        const value = event.details[key];
        if (value !== undefined && value !== null) expect(new Date(value as string).toISOString()).toBe(value);
      }
    }
  });

  it('names the token as actor when one acts through the API', async () => {
    const { db, clock, user } = await setup();
    const parent = await createApiToken({ db, clock, userId: user.id, name: 'Parent token' });
    const viaToken = await getApiTokenByToken({ db, clock, token: parent.token });
    const child = await createApiToken({ db, clock, viaToken, name: 'Child token' });
    const events = (await getAuditEvents({ db, userId: user.id, tokenId: child.id })).events;
    expect(events).toHaveLength(1);
    expect(events[0]!.actor).toEqual({ kind: 'token', id: parent.id, name: 'Parent token' });
  });

  it('writes no event for a change that failed', async () => {
    const { db, clock, user } = await setup();
    const other = await insertUser(db, clock);
    const theirs = await createApiToken({ db, clock, userId: other.id, name: 'Not yours' });
    await expectAppError(deleteApiTokenById({ db, clock, userId: user.id, id: theirs.id }), 'NOT_FOUND');
    await expectAppError(rotateApiToken({ db, clock, userId: user.id, id: theirs.id }), 'NOT_FOUND');
    await expectAppError(createApiToken({ db, clock, userId: user.id, name: 'x' }), 'INVALID_BODY');
    expect((await getAuditEvents({ db, userId: user.id })).events).toEqual([]);
    expect(typesOf(await getAuditEvents({ db, userId: other.id }))).toEqual(['token.created']);
  });

  it('rolls an event back with its change: nothing is kept for a transaction that failed', async () => {
    const { db, clock, user } = await setup();
    await expect(
      db.transaction().execute(async (trx) => {
        await recordAuditEvent(trx, {
          type: 'token.created',
          actor: { kind: 'cli', id: null, name: null },
          owner: { kind: 'user', userId: user.id },
          at: clock.now(),
        });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect((await getAuditEvents({ db, userId: user.id })).events).toEqual([]);
  });

  it('records revocation by value with its source, in the owner log', async () => {
    const { db, clock, user } = await setup();
    const team = await makeTeam(db, clock, user);
    const personal = await createApiToken({ db, clock, userId: user.id, name: 'Leaked personal' });
    const teamToken = await createApiToken({ db, clock, userId: user.id, teamId: team.id, name: 'Leaked team' });
    await revokeApiTokenByToken({ db, clock, token: personal.token });
    await revokeApiTokenByToken({
      db,
      clock,
      token: teamToken.token,
      source: 'leak_report',
      audit: { ip: '198.51.100.1' },
    });
    const mine = (await getAuditEvents({ db, userId: user.id, type: 'token.revoked' })).events;
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ tokenId: personal.id, actor: { kind: 'cli' }, details: { source: 'cli' } });
    const teams = (await getAuditEvents({ db, userId: user.id, teamId: team.id, type: 'token.revoked' })).events;
    expect(teams[0]).toMatchObject({
      tokenId: teamToken.id,
      actor: { kind: 'leak_report' },
      ip: '198.51.100.1',
      details: { source: 'leak_report' },
    });
  });

  it('records team membership changes in the team log', async () => {
    const { db, clock, user } = await setup();
    const member = await insertUser(db, clock);
    const team = await makeTeam(db, clock, user, [[member, 'MEMBER']]);
    await updateTeamMemberRole({
      db,
      clock,
      userId: user.id,
      teamId: team.id,
      memberUserId: member.id,
      role: 'MANAGER',
    });
    await removeTeamMember({ db, clock, userId: user.id, teamId: team.id, memberUserId: member.id });
    const events = (await getAuditEvents({ db, userId: user.id, teamId: team.id })).events;
    expect(typesOf({ events })).toEqual([
      'team.member_removed',
      'team.member_role_changed',
      'team.member_added',
      'team.created',
    ]);
    expect(events[1]!.details).toEqual({ userId: member.id, role: 'MANAGER', previousRole: 'MEMBER' });
    expect(events[2]!.details).toMatchObject({ userId: member.id, email: member.email, role: 'MEMBER' });
    expect(events.every((e) => e.actor.kind === 'user' && e.actor.id === user.id)).toBe(true);
  });

  it('records sign-ins and failed sign-ins of a known e-mail, never those of an unknown e-mail', async () => {
    const { db, clock } = await setup();
    const email = `${unique('signin')}@example.test`;
    const password = `pw-${unique()}`;
    const user = await createUser({ db, clock, email, name: 'Signer', password });
    await expectAppError(
      verifyUserCredentials({ db, clock, email, password: 'wrong password', audit: FROM_BROWSER }),
      'UNAUTHORIZED',
    );
    const unknown = `${unique('nobody')}@example.test`;
    await expectAppError(verifyUserCredentials({ db, clock, email: unknown, password: 'whatever1' }), 'UNAUTHORIZED');
    const verified = await verifyUserCredentials({ db, clock, email, password });
    await createSession({
      db,
      clock,
      userId: verified.id,
      audit: { actor: { kind: 'user', id: user.id, name: user.name }, ...FROM_BROWSER },
    });

    const events = (await getAuditEvents({ db, userId: user.id })).events;
    expect(typesOf({ events })).toEqual(['user.signed_in', 'user.sign_in_failed']);
    expect(events[1]).toMatchObject({ ip: FROM_BROWSER.ip, details: { reason: 'wrong_password' } });
    const all = await db.selectFrom('audit_events').select('details').execute();
    expect(all.some((row) => row.details.includes(unknown))).toBe(false);
  });

  it('records disabling a user, and a failed sign-in of the disabled account', async () => {
    const { db, clock } = await setup();
    const email = `${unique('disable')}@example.test`;
    const password = `pw-${unique()}`;
    const user = await createUser({ db, clock, email, name: 'Soon disabled', password });
    await disableUser({ db, clock, email });
    await expectAppError(
      verifyUserCredentials({ db, clock, email, password }),
      'UNAUTHORIZED',
      'This account is disabled',
    );
    const events = (await getAuditEvents({ db, userId: user.id })).events;
    expect(typesOf({ events })).toEqual(['user.sign_in_failed', 'user.disabled']);
    expect(events[0]!.details).toEqual({ reason: 'account_disabled' });
    expect(events[1]!.actor).toEqual({ kind: 'cli', id: null, name: null });
  });

  describe('who may read which log', () => {
    it("a team's ADMINs read its log; MANAGER and MEMBER get FORBIDDEN, outsiders NOT_FOUND", async () => {
      const { db, clock, user: admin } = await setup();
      const manager = await insertUser(db, clock);
      const member = await insertUser(db, clock);
      const outsider = await insertUser(db, clock);
      const team = await makeTeam(db, clock, admin, [
        [manager, 'MANAGER'],
        [member, 'MEMBER'],
      ]);
      await createApiToken({ db, clock, userId: admin.id, teamId: team.id, name: 'Team token' });
      expect(typesOf(await getAuditEvents({ db, userId: admin.id, teamId: team.id }))).toContain('token.created');
      await expectAppError(getAuditEvents({ db, userId: manager.id, teamId: team.id }), 'FORBIDDEN', /team admin/);
      await expectAppError(getAuditEvents({ db, userId: member.id, teamId: team.id }), 'FORBIDDEN', /team admin/);
      await expectAppError(getAuditEvents({ db, userId: outsider.id, teamId: team.id }), 'NOT_FOUND');
      // A team's events are not in its admin's personal log.
      expect(typesOf(await getAuditEvents({ db, userId: admin.id }))).not.toContain('token.created');
    });

    it("a user's log holds only their own events; a token reads its owner's", async () => {
      const { db, clock, user } = await setup();
      const other = await insertUser(db, clock);
      const mine = await createApiToken({ db, clock, userId: user.id, name: 'Mine' });
      await createApiToken({ db, clock, userId: other.id, name: 'Theirs' });
      expect((await getAuditEvents({ db, userId: user.id })).events.map((e) => e.tokenId)).toEqual([mine.id]);
      const viaToken = await getApiTokenByToken({ db, clock, token: mine.token });
      expect((await getAuditEvents({ db, viaToken })).events.map((e) => e.tokenId)).toEqual([mine.id]);
    });
  });

  it('filters by type and token, and pages newest first with a cursor', async () => {
    const { db, clock, user } = await setup();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await createApiToken({ db, clock, userId: user.id, name: `Paged ${i}` })).id);
      clock.advance(1);
    }
    await deleteApiTokenById({ db, clock, userId: user.id, id: ids[0]! });
    expect((await getAuditEvents({ db, userId: user.id, type: 'token.deleted' })).events.map((e) => e.tokenId)).toEqual(
      [ids[0]],
    );
    expect(typesOf(await getAuditEvents({ db, userId: user.id, tokenId: ids[0]! }))).toEqual([
      'token.deleted',
      'token.created',
    ]);

    const first = await getAuditEvents({ db, userId: user.id, limit: 4 });
    expect(first.events).toHaveLength(4);
    expect(first.nextCursor).toBe(first.events[3]!.id);
    const second = await getAuditEvents({ db, userId: user.id, limit: 4, cursor: first.nextCursor! });
    expect(second.events.map((e) => e.tokenId)).toEqual([ids[1], ids[0]]);
    expect(second.nextCursor).toBeNull();
    expect((await getAuditEvents({ db, userId: user.id })).events).toHaveLength(6);
  });

  it('refuses bad filters with 400 naming the field', async () => {
    const { db, user } = await setup();
    for (const [field, options] of [
      ['type', { type: 'token.exploded' }],
      ['tokenId', { tokenId: -1 }],
      ['tokenId', { tokenId: 1.5 }],
      ['limit', { limit: 0 }],
      ['limit', { limit: 101 }],
      ['cursor', { cursor: 0 }],
    ] as const) {
      const error = await expectAppError(
        getAuditEvents({ db, userId: user.id, ...options } as never),
        'INVALID_REQUEST',
      );
      expect(error.issues?.[0]?.path).toBe(field);
    }
  });

  it('purges events older than the audit retention, and keeps younger ones', async () => {
    const { db, clock, user } = await setup();
    await createApiToken({ db, clock, userId: user.id, name: 'Old event' });
    clock.advance(300 * DAY_MS);
    await createApiToken({ db, clock, userId: user.id, name: 'Young event' });
    clock.advance(100 * DAY_MS);
    const purged = await purgeUsageAndAudit({ db, clock, usageRetentionDays: 90, auditRetentionDays: 365 });
    expect(purged.auditEvents).toBeGreaterThanOrEqual(1);
    const left = (await getAuditEvents({ db, userId: user.id })).events;
    expect(left.map((e) => e.details.name)).toEqual(['Young event']);
  });

  it('the secret check finds a token, a stored hash or a session id put in an event', async () => {
    const { db, clock, user } = await setup();
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Planted' });
    const { token_hash } = await db
      .selectFrom('api_tokens')
      .select('token_hash')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    const session = await createSession({ db, clock, userId: user.id });
    const owner = { kind: 'user' as const, userId: user.id };
    const actor = { kind: 'cli' as const, id: null, name: null };
    const before = await findSecretsInAuditEvents(db);
    for (const details of [{ token: created.token }, { hash: token_hash }, { session: session.sessionId }]) {
      await db.transaction().execute(async (trx) => {
        await recordAuditEvent(trx, { type: 'token.created', actor, owner, details, at: clock.now() });
        expect((await findSecretsInAuditEvents(trx)).length).toBe(before.length + 1);
        await trx
          .deleteFrom('audit_events')
          .where('details', 'like', '%' + Object.keys(details)[0] + '%')
          .execute();
      });
    }
    expect(await findSecretsInAuditEvents(db)).toEqual(before);
  });
});
