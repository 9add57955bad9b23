// How one process learns that another has written to the database, on each database's own terms:
// PostgreSQL's NOTIFY (sent inside the writing transaction, delivered when it commits) heard on a
// LISTEN connection of its own; SQLite's `data_version`, which changes when another connection
// commits to the file.
import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';
import pg from 'pg';
import { engineOf, isPostgres } from './database-engine.js';
import { bigintAsNumber } from './create-database.js';

/** Sends `payload` on `channel` when the transaction commits; nothing on a database without notifications. */
export async function notifyOnCommit(trx: Kysely<Schema>, channel: string, payload: string): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_notify(${channel}, ${payload})`.execute(trx);
}

/**
 * For a SQLite file: a function giving the file's `data_version` as the reader connection sees it,
 * which changes whenever another connection (another process, or this one's writer) commits. A call
 * costs one pragma, about 0.4 µs. Undefined for PostgreSQL and for an in-memory database.
 */
export function dataVersionReader(db: Kysely<Schema>): (() => number) | undefined {
  const reader = engineOf(db)?.reader;
  if (!reader) return undefined;
  const statement = reader.prepare('pragma data_version').pluck();
  return () => statement.get() as number;
}

/** True when other processes can write to the database without the detector above seeing it. */
export function needsChangeListener(db: Kysely<Schema>): boolean {
  return engineOf(db)?.kind === 'postgres';
}

export type ChannelListener = { close(): Promise<void> };

export type ListenOptions = {
  channel: string;
  /** Shown in `pg_stat_activity.application_name`, so an operator can find the connection. */
  applicationName: string;
  onMessage(payload: string): void;
  /** The connection is listening (first time or after a loss). */
  onListening(): void;
  /** The connection was lost; it is opened again after a pause that grows up to `maxBackoffMs`. */
  onLost(error: unknown): void;
  maxBackoffMs?: number;
};

/**
 * One connection of its own that LISTENs on `channel` (a pooled connection cannot: the pool hands
 * it to other queries, and a transaction-mode pooler such as PgBouncer drops LISTEN), opened again
 * with backoff when lost. Undefined for a database without notifications.
 */
export function listenToChannel(db: Kysely<Schema>, options: ListenOptions): ChannelListener | undefined {
  const engine = engineOf(db);
  if (engine?.kind !== 'postgres' || !engine.url) return undefined;
  const url = engine.url;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let backoff = 100;

  function lost(from: pg.Client, error: unknown) {
    if (client !== from) return;
    client = undefined;
    from.removeAllListeners();
    from.on('error', () => {});
    void from.end().catch(() => {});
    if (closed) return;
    options.onLost(error);
    retry = setTimeout(connect, backoff);
    retry.unref();
    backoff = Math.min(backoff * 2, maxBackoff);
  }

  function connect() {
    if (closed) return;
    const next = new pg.Client({
      connectionString: url,
      application_name: options.applicationName,
      types: { getTypeParser: bigintAsNumber },
      keepAlive: true,
    });
    client = next;
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next, new Error('the listening connection ended')));
    next.on('notification', (message) => {
      if (message.channel === options.channel) options.onMessage(message.payload ?? '');
    });
    next
      .connect()
      .then(() => next.query(`listen ${pg.escapeIdentifier(options.channel)}`))
      .then(() => {
        if (client !== next || closed) return;
        backoff = 100;
        options.onListening();
      })
      .catch((error: unknown) => lost(next, error));
  }

  connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners();
        current.on('error', () => {});
        await current.end().catch(() => {});
      }
    },
  };
}
