// Deletes what has outlived its retention: audit events after AUDIT_RETENTION_DAYS; usage buckets,
// recent addresses and the hashes of rotated-away tokens after USAGE_RETENTION_DAYS.
import type { Db } from '../../db/create-database.js';
import type { Clock } from '../clock.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export type PurgeUsageAndAuditOptions = {
  db: Db;
  clock: Clock;
  usageRetentionDays: number;
  auditRetentionDays: number;
};

export async function purgeUsageAndAudit(options: PurgeUsageAndAuditOptions) {
  const { db, clock } = options;
  const now = clock.now();
  const usageBefore = now - options.usageRetentionDays * DAY_MS;
  const auditBefore = now - options.auditRetentionDays * DAY_MS;
  const count = (result: { numDeletedRows: bigint }) => Number(result.numDeletedRows);
  return {
    auditEvents: count(
      await db.deleteFrom('audit_events').where('created_at', '<', auditBefore).executeTakeFirstOrThrow(),
    ),
    usageBuckets: count(
      await db.deleteFrom('api_token_usage').where('hour_start', '<', usageBefore).executeTakeFirstOrThrow(),
    ),
    recentIps: count(
      await db.deleteFrom('api_token_recent_ips').where('last_seen_at', '<', usageBefore).executeTakeFirstOrThrow(),
    ),
    retiredHashes: count(
      await db.deleteFrom('retired_api_token_hashes').where('stops_at', '<', usageBefore).executeTakeFirstOrThrow(),
    ),
  };
}
