// A watcher that sees every statement sent to SQLite or PostgreSQL in this process: the library's
// tests and the server's use it to count the database work a request does.
import Database from 'better-sqlite3';
import pg from 'pg';
import { vi } from 'vitest';
import type { Db } from '../db/create-database.js';

export type DatabaseCall = { via: string; sql: string };

type Methods = Record<string, (...args: unknown[]) => unknown>;

/**
 * Records every statement that reaches a database in this process, below Kysely: better-sqlite3
 * `prepare`/`exec` and every run of a prepared statement (including ones prepared earlier and
 * cached, like the request check's reader statement), PostgreSQL client queries, and Kysely's
 * executor of `db`. Call `stop()` to remove the spies.
 */
export function watchDatabaseCalls(db?: Db): { calls: DatabaseCall[]; stop(): void } {
  const calls: DatabaseCall[] = [];
  const spies: Array<{ mockRestore(): void }> = [];
  const record = (via: string, sql: unknown) => {
    calls.push({
      via,
      sql:
        typeof sql === 'string'
          ? sql
          : String((sql as { text?: unknown; sql?: unknown })?.text ?? (sql as { sql?: unknown })?.sql ?? sql),
    });
  };

  // The Statement class is not exported by better-sqlite3; take its prototype from a throwaway statement.
  const scratch = new Database(':memory:');
  const statementPrototype = Object.getPrototypeOf(scratch.prepare('select 1')) as Methods;
  scratch.close();

  const wrap = (target: Methods, method: string, via: string, sqlOf: (self: unknown, args: unknown[]) => unknown) => {
    const original = target[method]!;
    const spy = vi.spyOn(target, method).mockImplementation(function (this: unknown, ...args: unknown[]) {
      record(via, sqlOf(this, args));
      return original.apply(this, args);
    });
    spies.push(spy);
  };

  const sqlitePrototype = Database.prototype as unknown as Methods;
  wrap(sqlitePrototype, 'prepare', 'sqlite.prepare', (_self, args) => args[0]);
  wrap(sqlitePrototype, 'exec', 'sqlite.exec', (_self, args) => args[0]);
  for (const method of ['get', 'all', 'run', 'iterate']) {
    wrap(statementPrototype, method, `sqlite.statement.${method}`, (self) => (self as { source: string }).source);
  }
  wrap(pg.Client.prototype as unknown as Methods, 'query', 'pg.query', (_self, args) => args[0]);
  if (db) {
    const executor = db.getExecutor() as unknown as Methods;
    wrap(executor, 'executeQuery', 'kysely', (_self, args) => (args[0] as { sql: string }).sql);
  }

  return {
    calls,
    stop() {
      for (const spy of spies.reverse()) spy.mockRestore();
    },
  };
}
