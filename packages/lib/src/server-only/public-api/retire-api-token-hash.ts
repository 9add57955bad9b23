// Keeps the hash of a rotated-away token, so that the check can tell its reuse (a sign the old
// token leaked) from any unknown token. Kept for USAGE_RETENTION_DAYS, see purgeUsageAndAudit.
import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import type { TokenOwner } from './token-owner.js';

export async function retireApiTokenHash(
  trx: Kysely<Schema>,
  retired: { tokenHash: string; tokenId: number; owner: TokenOwner; stopsAt: number },
): Promise<void> {
  await trx
    .insertInto('retired_api_token_hashes')
    .values({
      token_hash: retired.tokenHash,
      token_id: retired.tokenId,
      user_id: retired.owner.kind === 'user' ? retired.owner.userId : null,
      team_id: retired.owner.kind === 'team' ? retired.owner.teamId : null,
      stops_at: retired.stopsAt,
      reported_at: null,
    })
    // A hash is retired once; a second rotation of the same row cannot happen (it is refused).
    .onConflict((oc) => oc.column('token_hash').doUpdateSet({ stops_at: retired.stopsAt }))
    .execute();
}
