// Opens the database a URL names: SQLite (the default, one file) or PostgreSQL (for several servers).
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import {
  createDatabaseEngine,
  type DatabaseEngine,
  EngineDriver,
  EnginePostgresAdapter,
  EngineSqliteAdapter,
} from './database-engine.js';
import { parseDatabaseUrl } from './database-location.js';
import type { Schema } from './schema.js';

export { isPostgres } from './database-engine.js';

export type Db = Kysely<Schema>;

export type CreateDatabaseOptions = {
  /** Resolves relative SQLite paths; the current directory by default. */
  baseDir?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /**
   * Refuse a SQLite file that does not exist (an error naming it) instead of creating an empty one:
   * for a process that uses a database another one made and migrated.
   */
  mustExist?: boolean;
};

/** Page cache of the request check's reader connection, in KiB. */
const READER_CACHE_KIB = 16 * 1024;

class LatchkeySqliteDialect extends SqliteDialect {
  constructor(
    database: SqliteDatabase.Database,
    private readonly engine: DatabaseEngine,
  ) {
    super({ database });
  }
  override createAdapter() {
    return new EngineSqliteAdapter(this.engine);
  }
  override createDriver() {
    return new EngineDriver(super.createDriver(), this.engine);
  }
}

class LatchkeyPostgresDialect extends PostgresDialect {
  constructor(
    pool: pg.Pool,
    private readonly engine: DatabaseEngine,
  ) {
    super({ pool });
  }
  override createAdapter() {
    return new EnginePostgresAdapter(this.engine);
  }
  override createDriver() {
    return new EngineDriver(super.createDriver(), this.engine);
  }
}

export function createDatabase(url: string | undefined, options: CreateDatabaseOptions = {}): Db {
  const location = parseDatabaseUrl(url, options.baseDir);
  if (location.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: location.url,
      max: options.poolSize ?? 10,
      types: { getTypeParser: bigintAsNumber },
    });
    // An idle client that loses its server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const engine = createDatabaseEngine({ kind: 'postgres', pool, url: location.url });
    return new Kysely<Schema>({ dialect: new LatchkeyPostgresDialect(pool, engine) });
  }

  if (location.path !== ':memory:') {
    if (options.mustExist && !fs.existsSync(location.path)) {
      throw new Error(
        `There is no Latchkey database at ${location.path}: ` +
          'create it with `latchkey migrate` (or point DATABASE_URL at the right one)',
      );
    }
    fs.mkdirSync(path.dirname(location.path), { recursive: true });
  }
  const sqlite = new SqliteDatabase(location.path, options.mustExist ? { fileMustExist: true } : undefined);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL with WAL keeps every committed transaction through a process crash; only a power
  // loss can drop the last few, and it never corrupts the file.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  let reader: SqliteDatabase.Database | undefined;
  if (location.path !== ':memory:') {
    // A second connection for the request check. It reads outside Kysely's (asynchronous)
    // transactions on the main connection, so it only ever sees committed rows, and WAL lets it
    // read while the main connection writes.
    reader = new SqliteDatabase(location.path);
    reader.pragma('busy_timeout = 5000');
    // Room for the pages of the tokens in use (about 3 pages each, from the index and the table);
    // with SQLite's default of 2 MB, a million-token table keeps re-reading them from the OS.
    reader.pragma(`cache_size = -${READER_CACHE_KIB}`);
  }
  const engine = createDatabaseEngine({ kind: 'sqlite', reader });
  return new Kysely<Schema>({ dialect: new LatchkeySqliteDialect(sqlite, engine) });
}

/** Timestamps are bigint columns; read them as numbers (milliseconds fit in 2^53). */
function parseBigintAsNumber(oid: number, format?: 'text'): (value: string) => unknown {
  if (oid === 20) return (value: string) => Number(value);
  return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
}
export const bigintAsNumber = parseBigintAsNumber as typeof pg.types.getTypeParser;
