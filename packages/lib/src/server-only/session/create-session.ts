import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/create-database';
import type { Clock } from '../clock';
import { hashSecret } from '../hash';

export const SESSION_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

/** A new session; the returned id goes in the cookie, only its hash is stored. */
export async function createSession({ db, clock, userId }: { db: Db; clock: Clock; userId: number }) {
  const sessionId = randomBytes(32).toString('base64url');
  const now = clock.now();
  const expiresAt = now + SESSION_LIFETIME_MS;
  await db
    .insertInto('sessions')
    .values({ token_hash: hashSecret(sessionId), user_id: userId, expires_at: expiresAt, created_at: now })
    .execute();
  return { sessionId, expiresAt: new Date(expiresAt) };
}
