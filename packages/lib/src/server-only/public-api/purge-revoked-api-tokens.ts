import type { Db } from '../../db/create-database';
import type { Clock } from '../clock';

/** Deletes tokens whose rotation grace period has ended; they already fail every check. */
export async function purgeRevokedApiTokens({ db, clock }: { db: Db; clock: Clock }): Promise<number> {
  const result = await db.deleteFrom('api_tokens').where('revoke_at', '<=', clock.now()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
