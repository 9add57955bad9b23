// A rotated token knows the token it replaced and is known by it, and its usage history reaches
// back through its predecessors, even one rotated without grace (deleted at once).
import { afterEach, expect, it } from 'vitest';
import { getAuditEvents } from '../src/server-only/audit/get-audit-events';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { deleteApiTokenById } from '../src/server-only/public-api/delete-api-token-by-id';
import { getApiTokenDailyRequests } from '../src/server-only/public-api/get-api-token-daily-requests';
import { getApiTokenLineage } from '../src/server-only/public-api/get-api-token-lineage';
import { getApiTokenUsage } from '../src/server-only/public-api/get-api-token-usage';
import { createUsageRecorder, HOUR_MS, type UsageRecorder } from '../src/server-only/runtime/usage-recorder';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { describeEachDatabase } from '../src/testing/index';
import { expectAppError, insertUser, makeTeam } from './helpers';

const START = Date.UTC(2026, 4, 10, 12, 30, 0);

describeEachDatabase('token lineage', (getDatabase) => {
  const trackers: UsageRecorder[] = [];
  afterEach(async () => {
    for (const tracker of trackers.splice(0)) await tracker.close();
  });

  async function setup() {
    const { db } = getDatabase();
    const clock = new ManualClock(START);
    const user = await insertUser(db, clock);
    const recorder = createUsageRecorder({
      db,
      clock,
      onError: (error: unknown) => {
        throw error;
      },
    });
    trackers.push(recorder);
    // One request with the token, as the verifier records it.
    const tracker = {
      count: (id: number, ip: string, userAgent: string) =>
        recorder.recordRequest(id, clock.now(), null, ip, userAgent),
      flush: () => recorder.flush(),
    };
    return { db, clock, user, tracker };
  }

  it('links a rotated token to its predecessor both ways; its usage includes its predecessors’', async () => {
    const { db, clock, user, tracker } = await setup();
    const first = await createApiToken({ db, clock, userId: user.id, name: 'Laptop curl' });
    for (let i = 0; i < 20; i++) tracker.count(first.id, '198.51.100.1', 'curl/8');
    await tracker.flush();
    // Rotated with a day's grace: the first keeps working, and is used once more in the same hour.
    const second = await rotateApiToken({ db, clock, userId: user.id, id: first.id, gracePeriodSeconds: 86_400 });
    tracker.count(first.id, '198.51.100.1', 'curl/8');
    tracker.count(second.id, '198.51.100.2', 'curl/8');
    await tracker.flush();

    expect(await getApiTokenLineage({ db, clock, userId: user.id, id: second.id })).toEqual({
      replaces: { id: first.id, start: first.start, live: true },
      replacedBy: null,
    });
    expect(await getApiTokenLineage({ db, clock, userId: user.id, id: first.id })).toEqual({
      replaces: null,
      replacedBy: { id: second.id, start: second.start },
    });

    const usage = await getApiTokenUsage({ db, clock, userId: user.id, id: second.id });
    expect(usage.total).toEqual({ requests: 22, failed: 0 });
    // One hour, with the rows of both tokens added up.
    expect(usage.buckets.filter((b) => b.requests > 0)).toEqual([
      { start: new Date(START - (START % HOUR_MS)), requests: 22, failed: 0 },
    ]);
    // The predecessor's own usage is its own only.
    expect((await getApiTokenUsage({ db, clock, userId: user.id, id: first.id })).total.requests).toBe(21);

    // Rotated again without grace: the second is deleted at once, yet the third remembers both.
    clock.advance(2 * HOUR_MS);
    const third = await rotateApiToken({ db, clock, userId: user.id, id: second.id });
    tracker.count(third.id, '198.51.100.3', 'curl/8');
    await tracker.flush();
    expect(await getApiTokenLineage({ db, clock, userId: user.id, id: third.id })).toEqual({
      replaces: { id: second.id, start: second.start, live: false },
      replacedBy: null,
    });
    const history = await getApiTokenUsage({ db, clock, userId: user.id, id: third.id });
    expect(history.total.requests).toBe(23);
    expect(history.buckets.filter((b) => b.requests > 0).map((b) => b.requests)).toEqual([22, 1]);
    // The list's sparklines follow too: today's requests of the third include the first's and the second's.
    const daily = await getApiTokenDailyRequests({ db, clock, userId: user.id, days: 7 });
    expect(daily.requests[third.id]!.at(-1)).toBe(23);
    expect(daily.requests[first.id]!.at(-1)).toBe(21);
  });

  it('forgets the link when the successor is deleted, and answers NOT_FOUND for someone else’s token', async () => {
    const { db, clock, user } = await setup();
    const other = await insertUser(db, clock);
    const first = await createApiToken({ db, clock, userId: user.id, name: 'Deploy' });
    const second = await rotateApiToken({ db, clock, userId: user.id, id: first.id, gracePeriodSeconds: 3600 });
    await expectAppError(getApiTokenLineage({ db, clock, userId: other.id, id: second.id }), 'NOT_FOUND');
    await deleteApiTokenById({ db, clock, userId: user.id, id: second.id });
    expect(await getApiTokenLineage({ db, clock, userId: user.id, id: first.id })).toEqual({
      replaces: null,
      replacedBy: null,
    });
  });

  it('names the token start in token events, and records a team’s creation in its log', async () => {
    const { db, clock, user } = await setup();
    const team = await makeTeam(db, clock, user);
    const token = await createApiToken({ db, clock, userId: user.id, teamId: team.id, name: 'Team deploy' });
    const rotated = await rotateApiToken({ db, clock, userId: user.id, teamId: team.id, id: token.id });
    const { events } = await getAuditEvents({ db, userId: user.id, teamId: team.id });
    expect(events.map((e) => e.type)).toEqual(['token.rotated', 'token.created', 'team.created']);
    expect(events[0]!.details).toMatchObject({
      start: token.start,
      newTokenId: rotated.id,
      newTokenStart: rotated.start,
    });
    expect(events[1]!.details).toMatchObject({ name: 'Team deploy', start: token.start });
    expect(events[2]!.details).toEqual({ name: team.name, slug: team.slug });
    expect(events[2]!.actor).toMatchObject({ kind: 'user', id: user.id });
  });
});
