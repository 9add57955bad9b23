import type { Db } from '../../db/create-database';
import type { PublicUser } from '../../types/schemas';
import type { Clock } from '../clock';
import { hashSecret } from '../hash';

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
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.name', 'users.email', 'users.disabled_at', 'sessions.expires_at'])
    .where('sessions.token_hash', '=', hashSecret(sessionId))
    .executeTakeFirst();
  if (!row || row.expires_at <= clock.now() || row.disabled_at !== null) return null;
  return { id: row.id, name: row.name, email: row.email };
}
