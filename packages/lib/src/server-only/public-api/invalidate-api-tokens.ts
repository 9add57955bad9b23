// Ends what every process caches about some tokens. A library write that ends or changes a token's
// validity calls it inside its transaction: this process's caches (each runtime's, subscribed to the
// database) drop the entries at once and again when the transaction commits (so a check that read
// the old row meanwhile cannot put it back), and the revocation log row (with, on databases that
// have them, a notification sent on commit) tells every other process on the database.
import { afterCommit, engineOf } from '../../db/database-engine.js';
import type { Db } from '../../db/create-database.js';
import { notifyOnCommit } from '../../db/change-signals.js';
import type { InvalidationTarget, RevocationLogRow } from '../runtime/token-cache.js';

export type { InvalidationTarget } from '../runtime/token-cache.js';

export const REVOCATION_CHANNEL = 'latchkey_revocations';

/** A notification carries at most this much; a longer one says only "read the log". */
const MAX_NOTIFY_PAYLOAD = 7_000;

export async function invalidateApiTokens(trx: Db, target: InvalidationTarget): Promise<void> {
  if ('tokenIds' in target && target.tokenIds.length === 0) return;
  if (!trx.isTransaction) return trx.transaction().execute((t) => invalidateApiTokens(t, target));

  const kind = 'tokenIds' in target ? 'tokens' : 'userId' in target ? 'user' : 'team';
  const ids = 'tokenIds' in target ? [...target.tokenIds] : ['userId' in target ? target.userId : target.teamId];
  const row: RevocationLogRow = await trx
    .insertInto('revocation_log')
    .values({ kind, ids: JSON.stringify(ids) })
    .returning(['id', 'kind', 'ids', 'created_at'])
    .executeTakeFirstOrThrow();
  const payload = JSON.stringify(row);
  await notifyOnCommit(
    trx,
    REVOCATION_CHANNEL,
    payload.length <= MAX_NOTIFY_PAYLOAD ? payload : JSON.stringify({ id: row.id }),
  );

  const caches = [...(engineOf(trx)?.revocationSubscribers ?? [])];
  if (caches.length === 0) return;
  for (const cache of caches) cache.drop(target);
  await afterCommit(trx, () => {
    for (const cache of caches) cache.apply(row);
  });
}
