import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { isWellFormedApiToken } from '../../universal/token-format.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { hashSecret } from '../hash.js';
import { invalidateApiTokens } from './invalidate-api-tokens.js';
import { ownerOfRow } from './token-owner.js';

export type RevokeApiTokenByTokenOptions = {
  db: Db;
  token: string;
  clock: Clock;
  /** Where the revocation came from, for the `token.revoked` event; the CLI by default. */
  source?: 'cli' | 'leak_report';
  audit?: AuditContext;
};

/** For operators with a leaked token in hand: deletes it by its value, whoever owns it. */
export async function revokeApiTokenByToken(
  options: RevokeApiTokenByTokenOptions,
): Promise<{ id: number; name: string }> {
  const { db, token, clock } = options;
  const source = options.source ?? 'cli';
  if (typeof token !== 'string' || !isWellFormedApiToken(token.trim())) {
    throw new AppError(AppErrorCode.INVALID_REQUEST, {
      message: 'That is not a Latchkey token (api_ followed by 36 letters and digits, with a valid checksum)',
    });
  }
  const row = await db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom('api_tokens')
      .where('token_hash', '=', hashSecret(token.trim()))
      .returning(['id', 'name', 'start', 'user_id', 'team_id'])
      .executeTakeFirst();
    if (!deleted) return undefined;
    await invalidateApiTokens(trx, { tokenIds: [deleted.id] });
    await recordAuditEvent(trx, {
      type: 'token.revoked',
      ...auditFields({
        audit: { ...options.audit, actor: options.audit?.actor ?? { kind: source, id: null, name: null } },
      }),
      owner: ownerOfRow(deleted),
      tokenId: deleted.id,
      details: { name: deleted.name, start: deleted.start, source },
      at: clock.now(),
    });
    await invalidateApiTokens(trx, { tokenIds: [deleted.id] });
    return { id: deleted.id, name: deleted.name };
  });
  if (!row)
    throw new AppError(AppErrorCode.NOT_FOUND, { message: 'No such token (already deleted, or never issued here)' });
  return row;
}
