// A token's rotation lineage: the token it replaced (which may be gone, rotated without grace or
// deleted since) and the token that replaced it (while this one retires). Read like the token itself:
// someone else's id is NOT_FOUND.
import type { Db } from '../../db/create-database.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import { ZId } from '../../types/schemas.js';
import type { Clock } from '../clock.js';
import { parseInput } from '../validate.js';
import { type ApiTokenActor, resolveTokenOwner, whereOwner } from './token-owner.js';

export type ApiTokenLineage = {
  /** The token this one replaced at rotation; `live` is false once that token is gone. */
  replaces: { id: number; start: string; live: boolean } | null;
  /** The token that replaced this one (this one is retiring or has stopped). */
  replacedBy: { id: number; start: string } | null;
};

export async function getApiTokenLineage(
  options: ApiTokenActor & { db: Db; clock: Clock; id: number },
): Promise<ApiTokenLineage> {
  const { db, clock } = options;
  const id = parseInput(ZId, options.id, AppErrorCode.INVALID_REQUEST);
  const { owner } = await resolveTokenOwner(db, options);
  const now = clock.now();
  const query = db
    .selectFrom('api_tokens')
    .select('api_tokens.id')
    .where('api_tokens.id', '=', id)
    .where((eb) => eb.or([eb('api_tokens.revoke_at', 'is', null), eb('api_tokens.revoke_at', '>', now)]));
  const token = await whereOwner(query, owner).executeTakeFirst();
  if (!token) throw new AppError(AppErrorCode.NOT_FOUND, { message: 'API token not found' });

  const parent = await db
    .selectFrom('api_token_lineage as l')
    .leftJoin('api_tokens as t', (join) => join.onRef('t.id', '=', 'l.ancestor_id'))
    .select(['l.ancestor_id', 'l.ancestor_start', 't.id as live_id', 't.revoke_at'])
    .where('l.token_id', '=', id)
    .where('l.depth', '=', 1)
    .executeTakeFirst();
  // Successors are the owner's like their predecessors: rotation keeps the owner.
  const child = await db
    .selectFrom('api_token_lineage as l')
    .innerJoin('api_tokens as t', 't.id', 'l.token_id')
    .select(['t.id', 't.start'])
    .where('l.ancestor_id', '=', id)
    .where('l.depth', '=', 1)
    .where((eb) => eb.or([eb('t.revoke_at', 'is', null), eb('t.revoke_at', '>', now)]))
    .executeTakeFirst();
  return {
    replaces: parent
      ? {
          id: parent.ancestor_id,
          start: parent.ancestor_start,
          live: parent.live_id !== null && (parent.revoke_at === null || parent.revoke_at > now),
        }
      : null,
    replacedBy: child ? { id: child.id, start: child.start } : null,
  };
}
