// One JSON array of tuples made from the rows of a group, as each database spells it: PostgreSQL
// `json_agg(json_build_array(…))`, SQLite `json_group_array(json_array(…))`. Reading many small rows
// as one array costs PostgreSQL and pg far less than a row each. SQLite answers JSON text and pg a
// parsed value; `readJsonTuples` takes either.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { isPostgres } from './database-engine.js';
import type { Schema } from './schema.js';

/** The aggregate over `columns` (trusted SQL names, such as `u.hour_start`): null when the group has no rows. */
export function jsonTuples<Tuple extends unknown[]>(
  db: Kysely<Schema>,
  columns: readonly string[],
): RawBuilder<Tuple[] | null> {
  const [aggregate, array] = isPostgres(db) ? ['json_agg', 'json_build_array'] : ['json_group_array', 'json_array'];
  return sql.raw<Tuple[] | null>(`${aggregate}(${array}(${columns.join(', ')}))`);
}

/** What `jsonTuples` gave, whichever database answered; [] for none. */
export function readJsonTuples<Tuple extends unknown[]>(value: unknown): Tuple[] {
  if (value === null || value === undefined) return [];
  return (typeof value === 'string' ? JSON.parse(value) : value) as Tuple[];
}
