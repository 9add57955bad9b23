// The repository's root folder, found from this file's own place (apps/api/src, or apps/api/dist
// once bundled: the same depth), so the server and the command line find the same database from
// whatever folder they are started in.
import { fileURLToPath } from 'node:url';
import { describeDatabaseLocation, parseDatabaseUrl } from '@latchkey/lib/database-location';

export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * What `DATABASE_URL` names, in words for a log line or `--help`: relative SQLite paths (and the
 * default `./data/latchkey.db`) are resolved against the project root, not the working directory.
 */
export function describeConfiguredDatabase(databaseUrl: string | undefined): string {
  return describeDatabaseLocation(parseDatabaseUrl(databaseUrl, PROJECT_ROOT));
}
