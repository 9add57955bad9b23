// Row locks for transactions that read a row and then change it. PostgreSQL runs transactions side
// by side, so they take turns on the row with FOR UPDATE; SQLite runs one transaction at a time (Kysely
// serialises them on its one connection), so it needs none and has no such clause.
import type { Kysely } from 'kysely';
import type { Schema } from './schema.js';
import { isPostgres } from './database-engine.js';

type Lockable<Q> = { forUpdate(): Q };
type Shareable<Q> = { forShare(): Q };

/** `query` with FOR UPDATE where the database needs it to keep concurrent transactions apart. */
export function lockingRows<Q extends Lockable<Q>>(trx: Kysely<Schema>, query: Q): Q {
  return isPostgres(trx) ? query.forUpdate() : query;
}

/**
 * `query` with FOR SHARE where the database needs it: the rows cannot change until the transaction
 * ends, and a change under way is waited for and then read as committed.
 */
export function sharingRows<Q extends Shareable<Q>>(trx: Kysely<Schema>, query: Q): Q {
  return isPostgres(trx) ? query.forShare() : query;
}

/** Locks the rows `query` selects until the transaction ends; nothing to do (and nothing run) on SQLite. */
export async function lockRows<Q extends Lockable<Q> & { execute(): Promise<unknown> }>(
  trx: Kysely<Schema>,
  query: Q,
): Promise<void> {
  if (isPostgres(trx)) await query.forUpdate().execute();
}
