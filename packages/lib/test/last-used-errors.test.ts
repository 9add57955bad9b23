// A batch of last-use times that cannot be written is reported and kept for the next flush.
import { expect, it, vi } from 'vitest';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { createUsageRecorder } from '../src/server-only/runtime/usage-recorder';
import { describeEachDatabase } from '../src/testing/index';
import { insertUser, useToken } from './helpers';

describeEachDatabase('last-use writes that fail', (getDatabase) => {
  it('reports the error through onError and writes the kept uses at the next flush', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Flaky writes' });
    const onError = vi.fn();
    const tracker = createUsageRecorder({ db, clock, onError });
    await useToken(tracker, { db, clock, token: created.token });
    expect(tracker.pending).toBe(1);

    // The first batch fails, as if the database were briefly unavailable.
    const failure = new Error('database unavailable');
    const spy = vi.spyOn(db, 'transaction').mockImplementationOnce(() => {
      throw failure;
    });
    await tracker.flush();
    spy.mockRestore();
    expect(onError).toHaveBeenCalledWith(failure);
    expect(tracker.pending).toBe(1);

    await tracker.close();
    expect(tracker.pending).toBe(0);
    const row = await db
      .selectFrom('api_tokens')
      .select('last_used_at')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(row.last_used_at).toBe(clock.now());
  });
});
