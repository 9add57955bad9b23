// Rows of tokens whose rotation grace period has ended are purged; nothing else is.
import { expect, it } from 'vitest';
import { ManualClock } from '../src/server-only/clock';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { purgeRevokedApiTokens } from '../src/server-only/public-api/purge-revoked-api-tokens';
import { rotateApiToken } from '../src/server-only/public-api/rotate-api-token';
import { describeEachDatabase } from '../src/testing/index';
import { getApiTokenByToken, insertUser } from './helpers';

describeEachDatabase('purging rotated tokens', (getDatabase) => {
  it('deletes a rotated token once its grace period has ended, and keeps every live token', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const old = await createApiToken({ db, clock, userId: user.id, name: 'Rotated' });
    const untouched = await createApiToken({ db, clock, userId: user.id, name: 'Untouched', expiresIn: 'SEVEN_DAYS' });
    const fresh = await rotateApiToken({ db, clock, userId: user.id, id: old.id, gracePeriodSeconds: 3600 });

    // In the grace period the old row is needed: nothing is purged.
    clock.advance(3599_000);
    expect(await purgeRevokedApiTokens({ db, clock })).toBe(0);
    await expect(getApiTokenByToken({ db, clock, token: old.token })).resolves.toMatchObject({ id: old.id });

    clock.advance(1000);
    expect(await purgeRevokedApiTokens({ db, clock })).toBe(1);
    const ids = (await db.selectFrom('api_tokens').select('id').where('user_id', '=', user.id).execute())
      .map((r) => r.id)
      .sort((a, b) => a - b);
    expect(ids).toEqual([untouched.id, fresh.id].sort((a, b) => a - b));
    await expect(getApiTokenByToken({ db, clock, token: fresh.token })).resolves.toMatchObject({ id: fresh.id });
  });
});
