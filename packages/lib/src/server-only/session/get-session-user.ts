import type { Db } from '../../db/create-database.js';
import { definePreparedQuery } from '../../db/prepared-query.js';
import type { PublicUser } from '../../types/schemas.js';
import type { Clock } from '../clock.js';
import { hashSecret } from '../hash.js';

// Every call of the web UI starts here: prepared once per database (a named statement on
// PostgreSQL, parsed and planned once per connection).
const SESSION_USER = definePreparedQuery('session_user', (db, p: { hash: string }) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.name', 'users.email', 'users.disabled_at', 'sessions.expires_at'])
    .where('sessions.token_hash', '=', p.hash),
);

/** The user behind a session id, or null when it is unknown, expired or the user is disabled. */
export async function getSessionUser({
  db,
  clock,
  sessionId,
}: {
  db: Db;
  clock: Clock;
  sessionId: string;
}): Promise<PublicUser | null> {
  if (sessionId.length < 20 || sessionId.length > 100) return null;
  const row = await SESSION_USER.first(db, { hash: hashSecret(sessionId) });
  if (!row || Number(row.expires_at) <= clock.now() || row.disabled_at !== null) return null;
  return { id: row.id, name: row.name, email: row.email };
}
