// What `DATABASE_URL` names, and that in words. Kept apart from opening a database (no driver is
// loaded here), so `latchkey --help` and log lines can say which database without loading one.
import path from 'node:path';

export const DEFAULT_SQLITE_PATH = './data/latchkey.db';

export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/**
 * Reads `DATABASE_URL`: unset → `./data/latchkey.db`; `postgres://…` or `postgresql://…` →
 * PostgreSQL; `file:/path/x.db`, `:memory:` or a plain path → SQLite. Anything else that looks
 * like a URL is refused with a message that says what is accepted.
 */
export function parseDatabaseUrl(url: string | undefined, baseDir = process.cwd()): DatabaseLocation {
  const value = url?.trim() ?? '';
  if (value === '') return { kind: 'sqlite', path: path.resolve(baseDir, DEFAULT_SQLITE_PATH) };
  if (/^postgres(ql)?:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new Error('DATABASE_URL is not a valid PostgreSQL URL (postgres://user@host:5432/database)');
    }
    return { kind: 'postgres', url: value };
  }
  if (value === ':memory:') return { kind: 'sqlite', path: ':memory:' };
  if (value.startsWith('file:')) {
    const file = value.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new Error('DATABASE_URL "file:" needs a path, e.g. file:./data/latchkey.db');
    return { kind: 'sqlite', path: path.resolve(baseDir, file) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new Error('DATABASE_URL must be postgres://…, postgresql://…, file:<path> or a path to a SQLite file');
  }
  if (value.includes('\0')) throw new Error('DATABASE_URL must not contain NUL characters');
  return { kind: 'sqlite', path: path.resolve(baseDir, value) };
}

/**
 * Which database a location is, for people (a start log line, `--help`): the SQLite file's path,
 * or the PostgreSQL host and database, never the user's password or the URL's query.
 */
export function describeDatabaseLocation(location: DatabaseLocation): string {
  if (location.kind === 'sqlite')
    return location.path === ':memory:' ? 'SQLite in memory' : `SQLite file ${location.path}`;
  const url = new URL(location.url);
  const host = url.host || 'localhost';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || "(the user's default database)";
  return `PostgreSQL database ${database} on ${host}`;
}
