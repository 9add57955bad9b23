// The UI's "Delete expired tokens": removes every expired token of an owner at once, each with its
// `token.deleted` event. The same rule as deleting one: personal tokens by their user, team tokens
// by the team's ADMINs.
import type { Db } from '../../db/create-database.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { type ApiTokenActor, resolveTokenOwner, whereOwner } from './token-owner.js';

export type DeleteExpiredApiTokensOptions = ApiTokenActor & { db: Db; clock: Clock; audit?: AuditContext };

/** How many tokens were deleted. */
export async function deleteExpiredApiTokens(options: DeleteExpiredApiTokensOptions): Promise<{ deleted: number }> {
  const { db, clock } = options;
  const { owner } = await resolveTokenOwner(db, options);
  const now = clock.now();
  const fields = auditFields(options);
  return db.transaction().execute(async (trx) => {
    const deleted = await whereOwner(trx.deleteFrom('api_tokens').where('api_tokens.expires_at', '<=', now), owner)
      .returning(['id', 'name', 'start'])
      .execute();
    for (const token of deleted) {
      await recordAuditEvent(trx, {
        type: 'token.deleted',
        ...fields,
        owner,
        tokenId: token.id,
        details: { name: token.name, start: token.start, expired: true },
        at: now,
      });
    }
    return { deleted: deleted.length };
  });
}
