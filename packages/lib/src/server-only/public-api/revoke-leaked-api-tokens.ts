// Leak reports: anyone who finds tokens (a person, a secret scanner) sends them, and every one that
// is live is deleted at once, with a `token.revoked` event for its owner. The caller learns nothing
// from the result, so the adapter answers the same whatever it holds.
import type { Db } from '../../db/create-database.js';
import { ZLeakReport } from '../../types/schemas.js';
import { isWellFormedApiToken } from '../../universal/token-format.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { hashSecret } from '../hash.js';
import { parseInput } from '../validate.js';
import { invalidateApiTokens } from './invalidate-api-tokens.js';
import { ownerOfRow } from './token-owner.js';

export type RevokeLeakedApiTokensOptions = {
  db: Db;
  clock: Clock;
  credentials: readonly string[];
  /** The reporter's address and user agent, kept on each event. */
  ip?: string | null;
  userAgent?: string | null;
};

/** Deletes every live token among `credentials`; strings that are not well-formed tokens are skipped. */
export async function revokeLeakedApiTokens(options: RevokeLeakedApiTokensOptions): Promise<{ revoked: number }> {
  const { db, clock } = options;
  const { credentials } = parseInput(ZLeakReport, { credentials: options.credentials });
  const hashes = [...new Set(credentials.map((c) => c.trim()).filter(isWellFormedApiToken))].map(hashSecret);
  if (hashes.length === 0) return { revoked: 0 };
  return db.transaction().execute(async (trx) => {
    // One delete for the whole report: a token reported twice, or by two reports at once, is
    // deleted (and recorded) once, by whichever statement gets the row.
    const deleted = await trx
      .deleteFrom('api_tokens')
      .where('token_hash', 'in', hashes)
      .returning(['id', 'name', 'start', 'user_id', 'team_id'])
      .execute();
    const now = clock.now();
    for (const row of deleted) {
      await recordAuditEvent(trx, {
        type: 'token.revoked',
        actor: { kind: 'leak_report', id: null, name: null },
        owner: ownerOfRow(row),
        tokenId: row.id,
        ip: options.ip ?? null,
        userAgent: options.userAgent ?? null,
        details: { name: row.name, start: row.start, source: 'leak_report' },
        at: now,
      });
    }
    if (deleted.length > 0) await invalidateApiTokens(trx, { tokenIds: deleted.map((row) => row.id) });
    return { revoked: deleted.length };
  });
}
