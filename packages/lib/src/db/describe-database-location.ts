import type { DatabaseLocation } from './create-database.js';

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
