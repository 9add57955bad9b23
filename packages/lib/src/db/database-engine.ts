// What a database from `createDatabase` carries beside Kysely: the connections of the hot path (a
// second SQLite connection that only reads, or the PostgreSQL pool), the statements prepared on
// them, and who in this process must hear at once of a token revoked through it (the token caches
// of the runtimes built on it, which subscribe and unsubscribe themselves). It travels inside the
// Kysely instance, on its adapter, so every transaction of the database reaches it too, and it is
// closed with the Kysely instance through the driver below.
import type SqliteDatabase from 'better-sqlite3';
import {
  type DatabaseConnection,
  type Driver,
  type Kysely,
  PostgresAdapter,
  type QueryCompiler,
  SqliteAdapter,
  type TransactionSettings,
} from 'kysely';
import type pg from 'pg';
import type { Schema } from './schema.js';

/** A token cache, as a write that revokes tokens sees it (see invalidate-api-tokens.ts). */
export type RevocationSubscriber = {
  drop(target: { tokenIds: readonly number[] } | { userId: number } | { teamId: number }): void;
  apply(row: { id: number; kind: 'tokens' | 'user' | 'team'; ids: string; created_at: number }): void;
};

export type DatabaseEngine = {
  readonly kind: 'sqlite' | 'postgres';
  /** The read-only connection of a SQLite file; absent for `:memory:` and PostgreSQL. */
  readonly reader?: SqliteDatabase.Database;
  readonly pool?: pg.Pool;
  /** The PostgreSQL URL, for connections of their own (a listener). */
  readonly url?: string;
  /** What was prepared for each statement of `definePreparedQuery`, on this database. */
  readonly prepared: Map<object, unknown>;
  /** The token caches of this process that must hear of a revocation written through this database. */
  readonly revocationSubscribers: Set<RevocationSubscriber>;
  /** Closes what the engine opened itself (the reader); Kysely's driver closes the rest. */
  close(): void;
};

export function createDatabaseEngine(
  props: Omit<DatabaseEngine, 'prepared' | 'revocationSubscribers' | 'close'>,
): DatabaseEngine {
  return {
    ...props,
    prepared: new Map(),
    revocationSubscribers: new Set(),
    close() {
      props.reader?.close();
    },
  };
}

export class EngineSqliteAdapter extends SqliteAdapter {
  constructor(readonly engine: DatabaseEngine) {
    super();
  }
}

export class EnginePostgresAdapter extends PostgresAdapter {
  constructor(readonly engine: DatabaseEngine) {
    super();
  }
}

/** The engine of a database from `createDatabase` (or of one of its transactions); undefined for any other Kysely. */
export function engineOf(db: Kysely<Schema>): DatabaseEngine | undefined {
  const adapter = db.getExecutor().adapter;
  return adapter instanceof EngineSqliteAdapter || adapter instanceof EnginePostgresAdapter
    ? adapter.engine
    : undefined;
}

export function isPostgres<DB>(db: Kysely<DB>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** A connection as Kysely sees it, with what is to run once its transaction has committed. */
class TrackedConnection implements DatabaseConnection {
  readonly afterCommit: Array<() => void> = [];
  constructor(readonly inner: DatabaseConnection) {}
  executeQuery: DatabaseConnection['executeQuery'] = (query) => this.inner.executeQuery(query);
  streamQuery: DatabaseConnection['streamQuery'] = (query, chunkSize) => this.inner.streamQuery(query, chunkSize);
}

/** Kysely's driver for the dialect, plus after-commit callbacks and closing the engine with the database. */
export class EngineDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly engine: DatabaseEngine,
  ) {}
  init(): Promise<void> {
    return this.inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new TrackedConnection(await this.inner.acquireConnection());
  }
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(unwrap(connection), settings);
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.inner.commitTransaction(unwrap(connection));
    if (connection instanceof TrackedConnection) for (const callback of connection.afterCommit.splice(0)) callback();
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (connection instanceof TrackedConnection) connection.afterCommit.length = 0;
    await this.inner.rollbackTransaction(unwrap(connection));
  }
  savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return this.inner.savepoint!(unwrap(connection), name, compile);
  }
  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return this.inner.rollbackToSavepoint!(unwrap(connection), name, compile);
  }
  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return this.inner.releaseSavepoint!(unwrap(connection), name, compile);
  }
  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(connection));
  }
  async destroy(): Promise<void> {
    try {
      await this.inner.destroy();
    } finally {
      this.engine.close();
    }
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof TrackedConnection ? connection.inner : connection;
}

/**
 * Runs `callback` once the transaction `trx` has committed (not at all if it rolls back); at once
 * when `trx` is not a transaction of a database from `createDatabase`.
 */
export async function afterCommit(trx: Kysely<Schema>, callback: () => void): Promise<void> {
  if (!trx.isTransaction || !engineOf(trx)) return callback();
  await trx.getExecutor().provideConnection((connection) => {
    if (connection instanceof TrackedConnection) connection.afterCommit.push(callback);
    else callback();
    return Promise.resolve();
  });
}
