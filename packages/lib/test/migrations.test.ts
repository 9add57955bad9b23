// Migrations applied to a database an older version left behind keep what it holds. 0005 rebuilds
// the usage table (SQLite: keyed by token and hour, WITHOUT ROWID; PostgreSQL: a primary key that
// carries the counts); the flush's upsert and the purge work on it afterwards.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { migrateToLatest, migrateUpTo } from '../src/db/migrations';
import { purgeUsageAndAudit } from '../src/server-only/audit/purge-usage-and-audit';
import { ManualClock } from '../src/server-only/clock';
import { getApiTokenUsage } from '../src/server-only/public-api/get-api-token-usage';
import { createUsageRecorder, HOUR_MS } from '../src/server-only/runtime/usage-recorder';
import { createApiToken } from '../src/server-only/public-api/create-api-token';
import { describeEachDatabase } from '../src/testing/index';
import { DAY_MS, insertUser } from './helpers';

const NOW = Date.UTC(2026, 10, 20, 15, 20, 0);
const HOUR = NOW - (NOW % HOUR_MS);

describeEachDatabase(
  'migrations',
  (getDatabase) => {
    it('0005 keeps every usage row, and the flush, the usage query and the purge work on the new table', async () => {
      const { db, kind } = getDatabase();
      expect(await migrateUpTo(db, '0004_policies_and_allowed_ips')).toHaveLength(4);
      const clock = new ManualClock(NOW);
      const user = await insertUser(db, clock);
      const tokens = [
        await createApiToken({ db, clock, userId: user.id, name: 'First' }),
        await createApiToken({ db, clock, userId: user.id, name: 'Second' }),
        await createApiToken({ db, clock, userId: user.id, name: 'Third' }),
      ];
      // As flushes write them: hour by hour, every token in each hour; counts unlike each other.
      const rows: Array<{ token_id: number; hour_start: number; requests: number; failed: number }> = [];
      for (let h = 47; h >= 0; h--) {
        tokens.forEach((token, t) =>
          rows.push({
            token_id: token.id,
            hour_start: HOUR - h * HOUR_MS,
            requests: 1 + h * 3 + t,
            failed: (h + t) % 4,
          }),
        );
      }
      await db.insertInto('api_token_usage').values(rows).execute();

      expect(await migrateUpTo(db, '0005_usage_rows_by_token')).toEqual(['0005_usage_rows_by_token']);

      const after = await db
        .selectFrom('api_token_usage')
        .select(['token_id', 'hour_start', 'requests', 'failed'])
        .orderBy('token_id')
        .orderBy('hour_start')
        .execute();
      const byKey = (a: (typeof rows)[number], b: (typeof rows)[number]) =>
        a.token_id - b.token_id || a.hour_start - b.hour_start;
      expect(after.map((r) => ({ ...r, hour_start: Number(r.hour_start) }))).toEqual([...rows].sort(byKey));
      // The rest of the schema, which today's usage query reads too (the rotation lineage).
      await migrateToLatest(db);

      if (kind === 'sqlite') {
        const table = await sql<{ sql: string }>`select sql from sqlite_master where name = 'api_token_usage'`.execute(
          db,
        );
        expect(table.rows[0]!.sql).toMatch(/without rowid/i);
      } else {
        const index = await sql<{
          indexdef: string;
        }>`select indexdef from pg_indexes where indexname = 'api_token_usage_pk'`.execute(db);
        expect(index.rows[0]!.indexdef).toMatch(/\(token_id, hour_start\) INCLUDE \(requests, failed\)/);
      }

      // The flush adds to an hour that was migrated (its upsert's conflict target) and makes a new one.
      const tracker = createUsageRecorder({
        db,
        clock,
        onError: (error) => {
          throw error;
        },
      });
      try {
        for (let i = 0; i < 4; i++) tracker.recordRequest(tokens[1]!.id, clock.now(), null, '203.0.113.9', 'curl/8');
        tracker.recordFailure(tokens[1]!.id);
        await tracker.flush();
        clock.advance(HOUR_MS);
        tracker.recordRequest(tokens[1]!.id, clock.now(), null, '203.0.113.9', 'curl/8');
        await tracker.flush();
      } finally {
        await tracker.close();
      }
      const usage = await getApiTokenUsage({
        db,
        clock,
        userId: user.id,
        id: tokens[1]!.id,
        from: new Date(HOUR - 47 * HOUR_MS),
        to: new Date(clock.now()),
      });
      const migrated = rows.filter((r) => r.token_id === tokens[1]!.id);
      const current = migrated.find((r) => r.hour_start === HOUR)!;
      expect(usage.buckets).toEqual([
        ...migrated
          .filter((r) => r.hour_start < HOUR)
          .map((r) => ({ start: new Date(r.hour_start), requests: r.requests, failed: r.failed })),
        { start: new Date(HOUR), requests: current.requests + 4, failed: current.failed + 1 },
        { start: new Date(HOUR + HOUR_MS), requests: 1, failed: 0 },
      ]);

      // The purge deletes the hours before the retention, of every token, and nothing after it.
      const purged = await purgeUsageAndAudit({ db, clock, usageRetentionDays: 1, auditRetentionDays: 365 });
      const cutoff = clock.now() - DAY_MS;
      expect(purged.usageBuckets).toBe(rows.filter((r) => r.hour_start < cutoff).length);
      const left = await db.selectFrom('api_token_usage').select(['hour_start']).execute();
      expect(left).toHaveLength(rows.length + 1 - purged.usageBuckets);
      expect(left.every((r) => Number(r.hour_start) >= cutoff)).toBe(true);
    });
  },
  { migrate: false },
);
