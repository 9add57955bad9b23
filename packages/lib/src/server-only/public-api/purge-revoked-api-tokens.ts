import type { Db } from '../../db/create-database.js';
import type { Clock } from '../clock.js';

/** How long revocation log rows are kept: far longer than any process takes to read them. */
export const REVOCATION_LOG_RETENTION_MS = 60 * 60_000;

/**
 * Deletes tokens whose rotation grace period has ended (they already fail every check) and
 * revocation log rows older than an hour.
 */
export async function purgeRevokedApiTokens({ db, clock }: { db: Db; clock: Clock }): Promise<number> {
  const result = await db.deleteFrom('api_tokens').where('revoke_at', '<=', clock.now()).executeTakeFirst();
  await db
    .deleteFrom('revocation_log')
    .where('created_at', '<', clock.now() - REVOCATION_LOG_RETENTION_MS)
    .execute();
  return Number(result.numDeletedRows);
}
