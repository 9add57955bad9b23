import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZId } from '../../types/schemas.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { parseInput } from '../validate.js';
import { invalidateApiTokens } from './invalidate-api-tokens.js';
import { type ApiTokenActor, resolveTokenOwner, whereOwner } from './token-owner.js';

/** Deletes one of the owner's tokens; it fails every check from the moment this returns. */
export async function deleteApiTokenById(
  options: ApiTokenActor & { db: Db; id: number; clock: Clock; audit?: AuditContext },
): Promise<void> {
  const { db, clock } = options;
  const id = parseInput(ZId, options.id, AppErrorCode.INVALID_REQUEST);
  const { owner } = await resolveTokenOwner(db, options);
  await db.transaction().execute(async (trx) => {
    const deleted = await whereOwner(trx.deleteFrom('api_tokens').where('api_tokens.id', '=', id), owner)
      .returning(['id', 'name', 'start'])
      .executeTakeFirst();
    if (!deleted) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'API token not found' });
    await recordAuditEvent(trx, {
      type: 'token.deleted',
      ...auditFields(options),
      owner,
      tokenId: deleted.id,
      details: { name: deleted.name, start: deleted.start },
      at: clock.now(),
    });
    await invalidateApiTokens(trx, { tokenIds: [deleted.id] });
  });
}
