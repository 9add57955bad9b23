// A rotated-away token presented after its grace period: answered like any unknown token, and
// recorded as `token.reused_after_rotation` at most once a minute per token, on every server together.
import { expect, it } from 'vitest';
import { getAuditEvents } from '../src/server-only/audit/get-audit-events';
import { purgeUsageAndAudit } from '../src/server-only/audit/purge-usage-and-audit';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { createRetiredTokenReuseDetector } from '../src/server-only/public-api/detect-retired-token-reuse';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { createVerifier } from '../src/server-only/runtime/verifier';
import { describeEachDatabase } from '../src/testing/index';
import { generateApiToken } from '../src/universal/token-format';
import { DAY_MS, insertUser, makeTeam, watchDatabaseCalls } from './helpers';

const START = Date.UTC(2026, 4, 1, 8, 0, 0);

type CheckClient = { ip?: string | null; userAgent?: string | null };

describeEachDatabase('reuse after rotation', (getDatabase) => {
  async function setup() {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const detector = createRetiredTokenReuseDetector({
      db,
      clock,
      onError: (error) => {
        throw error;
      },
    });
    const check = async (token: string, retiredTokens = detector, client: CheckClient = {}) => {
      const verifier = createVerifier({ db, clock, cache: null, limiter: null, retiredTokens });
      const verdict = await verifier.verify(token, client);
      await retiredTokens.settled();
      return verdict.ok ? verdict : { ok: false, message: verdict.message };
    };
    const reuses = async (teamId?: number) =>
      (await getAuditEvents({ db, userId: user.id, teamId, type: 'token.reused_after_rotation' })).events;
    return { db, clock, user, detector, check, reuses };
  }

  it('answers "Invalid token" and records the reuse once a minute per token', async () => {
    const { db, clock, user, check, reuses } = await setup();
    const old = await createApiToken({ db, clock, userId: user.id, name: 'Rotated away' });
    await rotateApiToken({ db, clock, userId: user.id, id: old.id });

    expect(await check(old.token)).toEqual({ ok: false, message: 'Invalid token' });
    const first = await reuses();
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      tokenId: old.id,
      actor: { kind: 'token', id: old.id },
      details: { stoppedAt: new Date(START).toISOString() },
    });

    clock.advance(30_000);
    expect(await check(old.token)).toEqual({ ok: false, message: 'Invalid token' });
    expect(await reuses()).toHaveLength(1);
    clock.advance(30_000);
    await check(old.token);
    expect(await reuses()).toHaveLength(2);
  });

  it('records the address and user agent of the request that presented it, as other events do', async () => {
    const { db, clock, user, detector, check, reuses } = await setup();
    const old = await createApiToken({ db, clock, userId: user.id, name: 'Leaked copy' });
    await rotateApiToken({ db, clock, userId: user.id, id: old.id });
    const userAgent = `curl/8.5.0 ${'x'.repeat(600)}`;
    expect(await check(old.token, detector, { ip: '203.0.113.7', userAgent })).toEqual({
      ok: false,
      message: 'Invalid token',
    });
    const [event] = await reuses();
    expect(event).toMatchObject({ tokenId: old.id, ip: '203.0.113.7', userAgent: userAgent.slice(0, 512) });
    // The next minute's event names the next request's client; none given, none recorded.
    clock.advance(60_000);
    await check(old.token, detector, { ip: '2001:db8::9', userAgent: 'scanner/2' });
    clock.advance(60_000);
    await check(old.token);
    expect((await reuses()).map((e) => [e.ip, e.userAgent])).toEqual([
      [null, null],
      ['2001:db8::9', 'scanner/2'],
      ['203.0.113.7', userAgent.slice(0, 512)],
    ]);
  });

  it('a rotation keeps the old hash with one write', async () => {
    const { db, clock, user } = await setup();
    const old = await createApiToken({ db, clock, userId: user.id, name: 'Rotated once' });
    const watcher = watchDatabaseCalls(db);
    await rotateApiToken({ db, clock, userId: user.id, id: old.id, gracePeriodSeconds: 3600 });
    watcher.stop();
    const writes = watcher.calls.filter(
      (call) =>
        (call.via === 'pg.query' || call.via.startsWith('sqlite.statement')) &&
        /insert into "retired_api_token_hashes"/i.test(call.sql),
    );
    expect(writes).toHaveLength(1);
  });

  it('a token within its grace period is no reuse; after it, it is', async () => {
    const { db, clock, user, check, reuses } = await setup();
    const team = await makeTeam(db, clock, user);
    const old = await createApiToken({ db, clock, userId: user.id, teamId: team.id, name: 'Team rotated' });
    await rotateApiToken({ db, clock, userId: user.id, teamId: team.id, id: old.id, gracePeriodSeconds: 120 });
    expect((await check(old.token)).ok).toBe(true);
    clock.advance(120_000);
    expect(await check(old.token)).toEqual({ ok: false, message: 'Invalid token' });
    expect((await reuses(team.id)).map((e) => e.tokenId)).toEqual([old.id]);
    // Still found after the purge of ended grace periods removed the row itself.
    clock.advance(60_000);
    await db.deleteFrom('api_tokens').where('id', '=', old.id).execute();
    await check(old.token);
    expect(await reuses(team.id)).toHaveLength(2);
  });

  it('several servers together record one event a minute', async () => {
    const { db, clock, user, check, reuses } = await setup();
    const old = await createApiToken({ db, clock, userId: user.id, name: 'Seen by many' });
    await rotateApiToken({ db, clock, userId: user.id, id: old.id });
    const servers = [1, 2, 3].map(() => createRetiredTokenReuseDetector({ db, clock }));
    await Promise.all(servers.map((server) => check(old.token, server)));
    expect(await reuses()).toHaveLength(1);
  });

  it('an unknown token records nothing', async () => {
    const { db, check } = await setup();
    const count = async () =>
      (await db.selectFrom('audit_events').select('id').where('type', '=', 'token.reused_after_rotation').execute())
        .length;
    const before = await count();
    expect(await check(generateApiToken())).toEqual({ ok: false, message: 'Invalid token' });
    expect(await count()).toBe(before);
  });

  it('forgets retired hashes after the usage retention', async () => {
    const { db, clock, user, check, reuses } = await setup();
    const old = await createApiToken({ db, clock, userId: user.id, name: 'Long retired' });
    await rotateApiToken({ db, clock, userId: user.id, id: old.id });
    clock.advance(91 * DAY_MS);
    const purged = await purgeUsageAndAudit({ db, clock, usageRetentionDays: 90, auditRetentionDays: 365 });
    expect(purged.retiredHashes).toBeGreaterThanOrEqual(1);
    await check(old.token);
    expect(await reuses()).toEqual([]);
  });
});
