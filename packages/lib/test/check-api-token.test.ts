// checkApiToken answers with a result instead of throwing: the shape every adapter relies on.
import { expect, it } from 'vitest';
import { createDatabase, type Db } from '../src/db/create-database';
import { engineOf } from '../src/db/database-engine';
import { migrateToLatest } from '../src/db/migrations';
import { ManualClock } from '../src/server-only/clock';
import { checkApiToken } from '../src/server-only/public-api/check-api-token';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { deleteApiTokenById } from '../src/server-only/public-api/delete-api-token-by-id';
import { disableUser } from '../src/server-only/user/disable-user';
import { describeEachDatabase } from '../src/testing/index';
import { generateApiToken } from '../src/universal/token-format';
import { DAY_MS, insertUser, watchDatabaseCalls } from './helpers';

describeEachDatabase('checkApiToken', (getDatabase) => {
  it('answers { ok: true, token } for a valid token, with its owner', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Checked token' });

    const check = await checkApiToken({ db, clock, token: created.token });
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.token).toMatchObject({
      id: created.id,
      name: 'Checked token',
      owner: { kind: 'user', userId: user.id },
      user,
    });
  });

  it('answers { ok: false, message } without throwing, for every kind of refusal', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const expiring = await createApiToken({
      db,
      clock,
      userId: user.id,
      name: 'Expiring token',
      expiresIn: 'SEVEN_DAYS',
    });
    const deleted = await createApiToken({ db, clock, userId: user.id, name: 'Deleted token' });
    await deleteApiTokenById({ clock, db, userId: user.id, id: deleted.id });

    const refusals: Array<[string, string, string]> = [
      ['malformed', 'api_short', 'Invalid token'],
      ['unknown', generateApiToken(), 'Invalid token'],
      ['deleted', deleted.token, 'Invalid token'],
    ];
    for (const [what, token, message] of refusals) {
      expect(await checkApiToken({ db, clock, token }), what).toEqual({ ok: false, message });
    }

    clock.advance(7 * DAY_MS);
    expect(await checkApiToken({ db, clock, token: expiring.token })).toEqual({ ok: false, message: 'Expired token' });
  });

  it('refuses a token whose owner was disabled', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'Owner disabled' });
    expect((await checkApiToken({ db, clock, token: created.token })).ok).toBe(true);
    await disableUser({ db, clock, email: user.email });
    expect(await checkApiToken({ db, clock, token: created.token })).toEqual({ ok: false, message: 'Invalid token' });
  });

  it('returns refusals that cannot be changed by the caller, so one request cannot alter the next', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const first = await checkApiToken({ db, clock, token: 'api_malformed' });
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { message: string }).message = 'Welcome';
    }).toThrow(TypeError);
    expect(await checkApiToken({ db, clock, token: 'api_malformed' })).toEqual({ ok: false, message: 'Invalid token' });
  });

  it('checks through any Kysely instance of the database, such as a transaction', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'In a transaction' });
    const [valid, unknown] = await db
      .transaction()
      .execute(async (trx) => [
        await checkApiToken({ db: trx, clock, token: created.token }),
        await checkApiToken({ db: trx, clock, token: generateApiToken() }),
      ]);
    expect(valid).toMatchObject({ ok: true, token: { id: created.id } });
    expect(unknown).toEqual({ ok: false, message: 'Invalid token' });
  });

  it('makes no database call for a malformed token, and one for a well-formed one', async () => {
    const { db } = getDatabase();
    const clock = new ManualClock();
    await checkApiToken({ db, clock, token: generateApiToken() }); // prepares the lookup once
    const watcher = watchDatabaseCalls(db);
    try {
      await checkApiToken({ db, clock, token: `${generateApiToken().slice(0, 39)}-` });
      expect(watcher.calls).toEqual([]);
      await checkApiToken({ db, clock, token: generateApiToken() });
      // One lookup; beside it, at most SQLite's cheap look at whether another process wrote.
      expect(watcher.calls.filter((call) => /api_tokens/.test(call.sql))).toHaveLength(1);
      expect(watcher.calls.filter((call) => !/api_tokens|^pragma data_version$/.test(call.sql))).toEqual([]);
    } finally {
      watcher.stop();
    }
  });
});

it('checkApiToken works on an in-memory SQLite database, which has no reader connection', async () => {
  const db = createDatabase(':memory:');
  try {
    await migrateToLatest(db);
    const clock = new ManualClock();
    const user = await insertUser(db, clock);
    const created = await createApiToken({ db, clock, userId: user.id, name: 'In memory' });
    expect(engineOf(db)?.reader).toBeUndefined();
    expect(await checkApiToken({ db, clock, token: created.token })).toMatchObject({
      ok: true,
      token: { id: created.id },
    });
    expect(await checkApiToken({ db, clock, token: generateApiToken() })).toEqual({
      ok: false,
      message: 'Invalid token',
    });
  } finally {
    await db.destroy();
  }
});

it('checkApiToken rejects (does not answer "Invalid token") when the database fails', async () => {
  const clock = new ManualClock();
  const broken = new Proxy({} as Db, {
    get() {
      throw new Error('database is down');
    },
  });
  await expect(checkApiToken({ db: broken, clock, token: generateApiToken() })).rejects.toThrow('database is down');
});
