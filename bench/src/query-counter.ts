// Counts the statements that reach a database driver: better-sqlite3 statement runs and `exec`,
// and pg client queries. It wraps the drivers' prototypes, so it sees every connection, including
// the request check's own SQLite reader and Kysely's pool, and nothing can bypass it.
import Database from 'better-sqlite3';
import pg from 'pg';

type Method = (...args: unknown[]) => unknown;

export type QueryCounter = {
  /** Statements run since the counter was made (or last reset). */
  readonly count: number;
  /** The SQL of the last few statements, for a report that says what ran. */
  readonly recent: string[];
  reset(): void;
  stop(): void;
};

export function countQueries(): QueryCounter {
  let count = 0;
  const recent: string[] = [];
  const restore: Array<() => void> = [];
  const note = (sql: unknown) => {
    count++;
    if (recent.length >= 20) recent.shift();
    recent.push(typeof sql === 'string' ? sql : String((sql as { text?: string })?.text ?? sql));
  };
  const wrap = (
    target: Record<string, unknown>,
    method: string,
    sqlOf: (self: unknown, args: unknown[]) => unknown,
  ) => {
    const original = target[method] as Method;
    target[method] = function (this: unknown, ...args: unknown[]) {
      note(sqlOf(this, args));
      return original.apply(this, args);
    };
    restore.push(() => {
      target[method] = original;
    });
  };

  // better-sqlite3 does not export its Statement class; take the prototype from a throwaway statement.
  const scratch = new Database(':memory:');
  const statementPrototype = Object.getPrototypeOf(scratch.prepare('select 1')) as Record<string, unknown>;
  scratch.close();
  for (const method of ['get', 'all', 'run', 'iterate'])
    wrap(statementPrototype, method, (self) => (self as { source: string }).source);
  wrap(Database.prototype as unknown as Record<string, unknown>, 'exec', (_self, args) => args[0]);
  wrap(pg.Client.prototype as unknown as Record<string, unknown>, 'query', (_self, args) => args[0]);

  return {
    get count() {
      return count;
    },
    recent,
    reset() {
      count = 0;
      recent.length = 0;
    },
    stop() {
      for (const undo of restore.reverse()) undo();
    },
  };
}
