// createLatchkey: a database without Latchkey's schema is refused with a message naming
// `latchkey migrate` (never made empty), the product's scopes are known to the tokens it makes and
// to its verifier, and its cache serves from the first request on every database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { migrateUpTo } from '../src/db/migrations';
import { ManualClock } from '../src/server-only/clock';
import { createLatchkey } from '../src/server-only/runtime/create-latchkey';
import { createTestDatabase } from '../src/testing/index';
import { describeEachDatabase } from '../src/testing/index';
import { insertUser, watchDatabaseCalls } from './helpers';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

it('refuses a SQLite file that does not exist, naming latchkey migrate, and creates nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-missing-'));
  cleanup.push(() => fs.promises.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'data', 'latchkey.db');
  await expect(createLatchkey({ database: file })).rejects.toThrow(/latchkey migrate/);
  await expect(createLatchkey({ database: `file:${file}` })).rejects.toThrow(file);
  expect(fs.existsSync(file)).toBe(false);
  expect(fs.existsSync(path.dirname(file))).toBe(false);
});

describeEachDatabase(
  'createLatchkey on a database without the schema',
  (getDatabase) => {
    it('refuses an empty database, naming latchkey migrate and the pending migrations', async () => {
      const { db, url } = getDatabase();
      await expect(createLatchkey({ database: db })).rejects.toThrow(
        /does not have Latchkey's schema.*0001_initial.*run `latchkey migrate`/s,
      );
      await expect(createLatchkey({ database: url })).rejects.toThrow(/latchkey migrate/);
      // Refusing wrote nothing: still no table at all.
      expect(await db.introspection.getTables()).toEqual([]);
    });
  },
  { migrate: false },
);

it('refuses a database that an older version left (migrations pending)', async () => {
  const database = await createTestDatabase('sqlite', { migrate: false });
  cleanup.push(() => database.drop());
  await migrateUpTo(database.db, '0004_policies_and_allowed_ips');
  const refused = createLatchkey({ database: database.db });
  await expect(refused).rejects.toThrow(/pending migrations: 0005/);
  await expect(refused).rejects.toThrow(/latchkey migrate/);
});

describeEachDatabase('createLatchkey', (getDatabase) => {
  async function runtime(scopes?: string[]) {
    const clock = new ManualClock();
    const latchkey = await createLatchkey({ database: getDatabase().db, clock, scopes, retention: null });
    cleanup.push(() => latchkey.close());
    return { clock, latchkey };
  }

  it('knows the product scopes: a token holding one passes, another is refused 403', async () => {
    const { clock, latchkey } = await runtime(['invoices:read']);
    expect(latchkey.scopes).toEqual(['tokens:read', 'tokens:write', 'audit:read', 'invoices:read']);
    const user = await insertUser(latchkey.db, clock);
    const reader = await latchkey.tokens.create({ userId: user.id, name: 'Invoices', scopes: ['invoices:read'] });
    const other = await latchkey.tokens.create({ userId: user.id, name: 'Tokens', scopes: ['tokens:read'] });
    expect(await latchkey.verify(reader.token, { scopes: ['invoices:read'] })).toMatchObject({
      ok: true,
      token: { id: reader.id, scopes: ['invoices:read'] },
    });
    expect(await latchkey.verify(other.token, { scopes: ['invoices:read'] })).toMatchObject({
      ok: false,
      status: 403,
      message: 'This token lacks the scope invoices:read',
    });
    // And the other token operations work on the runtime's database and clock.
    expect((await latchkey.tokens.list({ userId: user.id })).tokens.map((t) => t.name).sort()).toEqual([
      'Invoices',
      'Tokens',
    ]);
    await latchkey.tokens.delete({ userId: user.id, id: other.id });
    expect(await latchkey.verify(other.token)).toMatchObject({ status: 401, message: 'Invalid token' });
  });

  it('serves a token from its cache from the first request on, with no other call (also on PostgreSQL)', async () => {
    const { clock, latchkey } = await runtime();
    const user = await insertUser(latchkey.db, clock);
    const created = await latchkey.tokens.create({ userId: user.id, name: 'Cached' });
    expect((await latchkey.verify(created.token, { limitBy: 'none' })).ok).toBe(true);
    const watcher = watchDatabaseCalls(latchkey.db);
    try {
      for (let i = 0; i < 3; i++) expect((await latchkey.verify(created.token, { limitBy: 'none' })).ok).toBe(true);
    } finally {
      watcher.stop();
    }
    expect(watcher.calls.filter((call) => /api_tokens/.test(call.sql))).toEqual([]);
  });
});
