// Usage: counted in memory, written in batches that add up across servers; read back as zero-filled
// hourly or daily buckets with totals and recent addresses. Also the list filters and delete-expired.
import { afterEach, describe, expect, it } from 'vitest';
import { invalidateApiTokens } from '../src/server-only/public-api/invalidate-api-tokens';
import { getAuditEvents } from '../src/server-only/audit/get-audit-events';
import { purgeUsageAndAudit } from '../src/server-only/audit/purge-usage-and-audit';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { getApiTokenDailyRequests } from '../src/server-only/public-api/get-api-token-daily-requests';
import { deleteExpiredApiTokens } from '../src/server-only/public-api/delete-expired-api-tokens';
import { getApiTokenUsage } from '../src/server-only/public-api/get-api-token-usage';
import { getApiTokens } from '../src/server-only/public-api/get-api-tokens';
import { createUsageRecorder, HOUR_MS, type UsageRecorder } from '../src/server-only/runtime/usage-recorder';
import { describeEachDatabase } from '../src/testing/index';
import { DAY_MS, expectAppError, insertUser, makeTeam, useToken, watchDatabaseCalls } from './helpers';

const START = Date.UTC(2026, 4, 10, 12, 30, 0);

describeEachDatabase('token usage', (getDatabase) => {
  const trackers: UsageRecorder[] = [];
  afterEach(async () => {
    for (const tracker of trackers.splice(0)) await tracker.close();
  });

  async function setup() {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const token = await createApiToken({ db, clock, userId: user.id, name: 'Counted token' });
    const tracker = createUsageRecorder({
      db,
      clock,
      onError: (error) => {
        throw error;
      },
    });
    trackers.push(tracker);
    return { db, clock, user, token, tracker };
  }

  it('counts requests and failures per hour, writes nothing until the flush, then adds them up', async () => {
    const { db, clock, user, token, tracker } = await setup();
    const watcher = watchDatabaseCalls(db);
    for (let i = 0; i < 5; i++) tracker.recordRequest(token.id, clock.now(), null, '198.51.100.1', 'curl/8');
    tracker.recordFailure(token.id);
    watcher.stop();
    expect(watcher.calls).toEqual([]);
    clock.advance(HOUR_MS);
    tracker.recordRequest(token.id, clock.now(), null, '198.51.100.2', 'curl/8');
    await tracker.flush();

    const usage = await getApiTokenUsage({ db, clock, userId: user.id, id: token.id });
    expect(usage.granularity).toBe('hour');
    expect(usage.buckets).toHaveLength(7 * 24 + 1);
    expect(usage.buckets[0]!.start.getTime()).toBeLessThan(usage.buckets[1]!.start.getTime());
    const hour = START - (START % HOUR_MS);
    expect(usage.buckets.filter((b) => b.requests > 0)).toEqual([
      { start: new Date(hour), requests: 5, failed: 1 },
      { start: new Date(hour + HOUR_MS), requests: 1, failed: 0 },
    ]);
    expect(usage.total).toEqual({ requests: 6, failed: 1 });
    expect(usage.recentIps.map((r) => r.ip)).toEqual(['198.51.100.2', '198.51.100.1']);
    expect(usage.recentIps[0]).toEqual({
      ip: '198.51.100.2',
      userAgent: 'curl/8',
      lastSeenAt: new Date(START + HOUR_MS),
    });
  });

  it('the check counts each accepted request once, with its address; a refused one counts nothing', async () => {
    const { db, clock, user, token, tracker } = await setup();
    const check = (ip: string) => useToken(tracker, { db, clock, token: token.token, ip, userAgent: 'curl/8' });
    for (let i = 0; i < 3; i++) expect((await check('198.51.100.5')).ok).toBe(true);
    // Across flushes the token's record (kept with the cached token) goes on counting, also after
    // a flush with nothing to write has let it go.
    await tracker.flush();
    await tracker.flush();
    expect((await check('198.51.100.6')).ok).toBe(true);
    await tracker.flush();
    clock.advance(HOUR_MS);
    expect((await check('198.51.100.6')).ok).toBe(true);
    await db.updateTable('api_tokens').set({ expires_at: clock.now() }).where('id', '=', token.id).execute();
    await invalidateApiTokens(db, { tokenIds: [token.id] });
    expect(await check('198.51.100.7')).toEqual({ ok: false, message: 'Expired token' });
    await tracker.flush();

    const usage = await getApiTokenUsage({ db, clock, userId: user.id, id: token.id });
    const hour = START - (START % HOUR_MS);
    expect(usage.buckets.filter((b) => b.requests > 0)).toEqual([
      { start: new Date(hour), requests: 4, failed: 0 },
      { start: new Date(hour + HOUR_MS), requests: 1, failed: 0 },
    ]);
    expect(usage.recentIps.map((r) => [r.ip, r.userAgent])).toEqual([
      ['198.51.100.6', 'curl/8'],
      ['198.51.100.5', 'curl/8'],
    ]);
  });

  it('two servers flushing the same token-hour add up; lastUsedAt never moves backwards', async () => {
    const { db, clock, user, token, tracker } = await setup();
    const other = createUsageRecorder({ db, clock });
    trackers.push(other);
    tracker.recordRequest(token.id, clock.now(), null, '192.0.2.1', undefined);
    clock.advance(10_000);
    other.recordRequest(token.id, clock.now(), null, '192.0.2.1', undefined);
    other.recordRequest(token.id, clock.now(), null, '192.0.2.1', undefined);
    // This server's later request carries an earlier time (its clock is behind): it must not win.
    clock.advance(-5_000);
    tracker.recordRequest(token.id, clock.now(), null, '192.0.2.1', undefined);
    await other.flush();
    await tracker.flush();
    const usage = await getApiTokenUsage({ db, clock, userId: user.id, id: token.id });
    expect(usage.total.requests).toBe(4);
    const row = await db
      .selectFrom('api_tokens')
      .select('last_used_at')
      .where('id', '=', token.id)
      .executeTakeFirstOrThrow();
    expect(row.last_used_at).toBe(START + 10_000);
  });

  it('keeps the last five distinct addresses', async () => {
    const { db, clock, user, token, tracker } = await setup();
    for (let i = 1; i <= 7; i++) {
      tracker.recordRequest(token.id, clock.now(), null, `203.0.113.${i}`, `agent ${i}`);
      clock.advance(1000);
      if (i === 3) await tracker.flush();
    }
    tracker.recordRequest(token.id, clock.now(), null, '203.0.113.2', 'agent again');
    await tracker.flush();
    const usage = await getApiTokenUsage({ db, clock, userId: user.id, id: token.id });
    expect(usage.recentIps.map((r) => r.ip)).toEqual([
      '203.0.113.2',
      '203.0.113.7',
      '203.0.113.6',
      '203.0.113.5',
      '203.0.113.4',
    ]);
    expect(usage.recentIps[0]!.userAgent).toBe('agent again');
    expect(
      await db.selectFrom('api_token_recent_ips').select('ip').where('token_id', '=', token.id).execute(),
    ).toHaveLength(5);
  });

  it('daily buckets are sums of the hours, over 90 days', async () => {
    const { db, clock, user, token, tracker } = await setup();
    tracker.recordRequest(token.id, clock.now(), null, '192.0.2.9', undefined);
    clock.advance(3 * HOUR_MS);
    tracker.recordRequest(token.id, clock.now(), null, '192.0.2.9', undefined);
    await tracker.flush();
    const from = new Date(START - 89 * DAY_MS);
    const usage = await getApiTokenUsage({ db, clock, userId: user.id, id: token.id, from, granularity: 'day' });
    expect(usage.buckets).toHaveLength(90);
    expect(usage.buckets.at(-1)).toEqual({ start: new Date(START - (START % DAY_MS)), requests: 2, failed: 0 });
  });

  it('reads a token in one statement: its row with its buckets and its recent addresses', async () => {
    const { db, clock, user, token, tracker } = await setup();
    tracker.recordRequest(token.id, clock.now(), null, '192.0.2.7', 'curl/8');
    tracker.recordFailure(token.id);
    clock.advance(5 * HOUR_MS);
    // A user agent is any text: commas, quotes, a backslash and more than ASCII come back as sent.
    const agent = 'Mozilla/5.0 (X11, "quoted"; \\ back) ünïcødé';
    tracker.recordRequest(token.id, clock.now(), null, '192.0.2.8', agent);
    tracker.recordRequest(token.id, clock.now(), null, '192.0.2.8', agent);
    await tracker.flush();
    const from = START - 2 * DAY_MS;
    for (const [granularity, size] of [
      ['hour', HOUR_MS],
      ['day', DAY_MS],
    ] as const) {
      const options = { db, clock, userId: user.id, id: token.id, from: new Date(from), granularity };
      const watcher = watchDatabaseCalls(db);
      const usage = await getApiTokenUsage(options);
      watcher.stop();
      // The token's row with its buckets and addresses: nothing else is asked.
      expect(watcher.calls.filter((c) => c.via.startsWith('sqlite.statement.') || c.via === 'pg.query')).toHaveLength(
        1,
      );
      expect(usage.buckets[0]!.start.getTime()).toBe(from - (from % size));
      expect(usage.buckets.map((b) => b.requests).filter((n) => n > 0)).toEqual(granularity === 'hour' ? [1, 2] : [3]);
      expect(usage.buckets.map((b) => b.failed).filter((n) => n > 0)).toEqual([1]);
      expect(usage.total).toEqual({ requests: 3, failed: 1 });
      expect(usage.recentIps.map((r) => [r.ip, r.userAgent, r.lastSeenAt])).toEqual([
        ['192.0.2.8', agent, new Date(START + 5 * HOUR_MS)],
        ['192.0.2.7', 'curl/8', new Date(START)],
      ]);
    }
  });

  it('refuses bad ranges with 400 naming the field', async () => {
    const { db, clock, user, token } = await setup();
    const cases: Array<[string, object]> = [
      ['granularity', { granularity: 'minute' }],
      ['from', { from: new Date('nonsense') }],
      ['to', { to: 'yesterday' }],
      ['from', { from: new Date(START), to: new Date(START - 1) }],
      ['from', { from: new Date(START - 32 * DAY_MS), to: new Date(START) }],
      ['from', { from: new Date(START - 367 * DAY_MS), to: new Date(START), granularity: 'day' }],
    ];
    for (const [field, range] of cases) {
      const error = await expectAppError(
        getApiTokenUsage({ db, clock, userId: user.id, id: token.id, ...range }),
        'INVALID_REQUEST',
      );
      expect(error.issues?.[0]?.path).toBe(field);
    }
    await getApiTokenUsage({
      db,
      clock,
      userId: user.id,
      id: token.id,
      from: new Date(START - 31 * DAY_MS),
      to: new Date(START),
    });
  });

  it('any team member reads a team token’s usage; others get NOT_FOUND', async () => {
    const { db, clock, user, tracker } = await setup();
    const member = await insertUser(db, clock);
    const outsider = await insertUser(db, clock);
    const team = await makeTeam(db, clock, user, [[member, 'MEMBER']]);
    const teamToken = await createApiToken({ db, clock, userId: user.id, teamId: team.id, name: 'Team counted' });
    tracker.recordRequest(teamToken.id, clock.now(), null, '192.0.2.3', undefined);
    await tracker.flush();
    expect(
      (await getApiTokenUsage({ db, clock, userId: member.id, teamId: team.id, id: teamToken.id })).total.requests,
    ).toBe(1);
    await expectAppError(
      getApiTokenUsage({ db, clock, userId: outsider.id, teamId: team.id, id: teamToken.id }),
      'NOT_FOUND',
    );
    await expectAppError(getApiTokenUsage({ db, clock, userId: user.id, id: teamToken.id }), 'NOT_FOUND');
  });

  it('purges buckets and addresses older than the usage retention', async () => {
    const { db, clock, user, token, tracker } = await setup();
    tracker.recordRequest(token.id, clock.now(), null, '192.0.2.4', undefined);
    await tracker.flush();
    clock.advance(91 * DAY_MS);
    await purgeUsageAndAudit({ db, clock, usageRetentionDays: 90, auditRetentionDays: 365 });
    expect(
      await db.selectFrom('api_token_usage').select('token_id').where('token_id', '=', token.id).execute(),
    ).toEqual([]);
    expect((await getApiTokenUsage({ db, clock, userId: user.id, id: token.id })).recentIps).toEqual([]);
  });

  describe('list filters and delete-expired', () => {
    it('status=active|expired and unusedForDays=N', async () => {
      const { db, clock, user, token, tracker } = await setup();
      const expiring = await createApiToken({ db, clock, userId: user.id, name: 'Expiring', expiresIn: 'SEVEN_DAYS' });
      clock.advance(40 * DAY_MS);
      const young = await createApiToken({ db, clock, userId: user.id, name: 'Young' });
      const names = async (filters: object) =>
        (await getApiTokens({ db, clock, userId: user.id, ...filters })).tokens.map((t) => t.id);
      expect(await names({ status: 'expired' })).toEqual([expiring.id]);
      expect(await names({ status: 'active' })).toEqual([young.id, token.id]);
      expect(await names({ unusedForDays: 30 })).toEqual([expiring.id, token.id]);
      tracker.recordRequest(token.id, clock.now(), null, null, null);
      await tracker.flush();
      expect(await names({ unusedForDays: 30, status: 'active' })).toEqual([]);
      expect(await names({ unusedForDays: 30, limit: 1 })).toEqual([expiring.id]);
      for (const [field, filters] of [
        ['status', { status: 'retired' }],
        ['unusedForDays', { unusedForDays: 0 }],
        ['unusedForDays', { unusedForDays: 3651 }],
      ] as const) {
        const error = await expectAppError(
          getApiTokens({ db, clock, userId: user.id, ...filters } as never),
          'INVALID_REQUEST',
        );
        expect(error.issues?.[0]?.path).toBe(field);
      }
    });

    it('deletes the expired tokens only, each with its event; team ones by ADMINs only', async () => {
      const { db, clock, user, token } = await setup();
      const manager = await insertUser(db, clock);
      const team = await makeTeam(db, clock, user, [[manager, 'MANAGER']]);
      const a = await createApiToken({ db, clock, userId: user.id, name: 'Expired A', expiresIn: 'SEVEN_DAYS' });
      const b = await createApiToken({ db, clock, userId: user.id, name: 'Expired B', expiresIn: 'SEVEN_DAYS' });
      await createApiToken({
        db,
        clock,
        userId: user.id,
        teamId: team.id,
        name: 'Team expired',
        expiresIn: 'SEVEN_DAYS',
      });
      clock.advance(8 * DAY_MS);
      expect(await deleteExpiredApiTokens({ db, clock, userId: user.id })).toEqual({ deleted: 2 });
      expect((await getApiTokens({ db, clock, userId: user.id })).tokens.map((t) => t.id)).toEqual([token.id]);
      const deleted = (await getAuditEvents({ db, userId: user.id, type: 'token.deleted' })).events.map(
        (e) => e.tokenId,
      );
      expect(deleted.sort()).toEqual([a.id, b.id].sort());
      await expectAppError(deleteExpiredApiTokens({ db, clock, userId: manager.id, teamId: team.id }), 'FORBIDDEN');
      expect(await deleteExpiredApiTokens({ db, clock, userId: user.id, teamId: team.id })).toEqual({ deleted: 1 });
    });
  });
});

describeEachDatabase('daily requests for the token list', (getDatabase) => {
  it('gives each used token of the owner its last 7 days, today last, in one query', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const other = await insertUser(db, clock);
    const a = await createApiToken({ db, clock, userId: user.id, name: 'Daily A' });
    const b = await createApiToken({ db, clock, userId: other.id, name: 'Daily B' });
    const tracker = createUsageRecorder({ db, clock });
    clock.advance(-2 * DAY_MS);
    tracker.recordRequest(a.id, clock.now(), null, '192.0.2.1', undefined);
    clock.advance(2 * DAY_MS);
    tracker.recordRequest(a.id, clock.now(), null, '192.0.2.1', undefined);
    tracker.recordRequest(a.id, clock.now(), null, '192.0.2.1', undefined);
    tracker.recordRequest(b.id, clock.now(), null, '192.0.2.1', undefined);
    await tracker.close();
    expect(await getApiTokenDailyRequests({ db, clock, userId: user.id })).toEqual({
      requests: { [a.id]: [0, 0, 0, 0, 1, 0, 2] },
      lastIps: { [a.id]: '192.0.2.1' },
    });
    await expectAppError(getApiTokenDailyRequests({ db, clock, userId: user.id, days: 40 }), 'INVALID_REQUEST');
  });
});
