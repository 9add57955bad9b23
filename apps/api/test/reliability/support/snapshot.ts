// Whole-table snapshots, to prove a run of requests changed nothing (or only what it may).
import { sql } from 'kysely';
import type { Db } from '@latchkey/lib';
import { TABLES } from './secrets';

const ORDER: Record<(typeof TABLES)[number], string> = {
  users: 'id',
  sessions: 'id',
  teams: 'id',
  team_members: 'team_id, user_id',
  api_tokens: 'id',
};

export type Row = Record<string, unknown>;
export type Snapshot = Record<(typeof TABLES)[number], Row[]>;

/**
 * Every row of every table, ordered. `last_used_at` is left out: using a token may record its use
 * (in a batch, seconds later), which is not a change of stored data.
 */
export async function snapshotTables(db: Db): Promise<Snapshot> {
  const snapshot = {} as Snapshot;
  for (const table of TABLES) {
    const { rows } = await sql<Row>`select * from ${sql.table(table)} order by ${sql.raw(ORDER[table])}`.execute(db);
    snapshot[table] = rows.map(({ last_used_at: _ignored, ...row }) => normalise(row));
  }
  return snapshot;
}

function normalise(row: Row): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) out[key] = typeof value === 'bigint' ? Number(value) : value;
  return out;
}

export type TableDiff = { added: Row[]; removed: Row[]; changed: Array<{ before: Row; after: Row }> };

function keyOf(table: (typeof TABLES)[number], row: Row): string {
  return table === 'team_members' ? `${String(row.team_id)}:${String(row.user_id)}` : String(row.id);
}

export function diffTable(table: (typeof TABLES)[number], before: Snapshot, after: Snapshot): TableDiff {
  const old = new Map(before[table].map((row) => [keyOf(table, row), row]));
  const now = new Map(after[table].map((row) => [keyOf(table, row), row]));
  const diff: TableDiff = { added: [], removed: [], changed: [] };
  for (const [key, row] of now) {
    const was = old.get(key);
    if (!was) diff.added.push(row);
    else if (JSON.stringify(was) !== JSON.stringify(row)) diff.changed.push({ before: was, after: row });
  }
  for (const [key, row] of old) if (!now.has(key)) diff.removed.push(row);
  return diff;
}

export function isEmptyDiff(diff: TableDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}
