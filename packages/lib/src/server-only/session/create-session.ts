import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/create-database.js';
import type { Clock } from '../clock.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import { hashSecret } from '../hash.js';

export const SESSION_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

export type CreateSessionOptions = { db: Db; clock: Clock; userId: number; audit?: AuditContext };

/** A new session (a sign-in, recorded as `user.signed_in`); the id goes in the cookie, only its hash is stored. */
export async function createSession(options: CreateSessionOptions) {
  const { db, clock, userId } = options;
  const sessionId = randomBytes(32).toString('base64url');
  const now = clock.now();
  const expiresAt = now + SESSION_LIFETIME_MS;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('sessions')
      .values({
        token_hash: hashSecret(sessionId),
        user_id: userId,
        expires_at: expiresAt,
        created_at: now,
        ip: options.audit?.ip ?? null,
        // A user agent is whatever the client sent; a bounded amount of it is kept.
        user_agent: options.audit?.userAgent?.slice(0, 512) ?? null,
      })
      .execute();
    await recordAuditEvent(trx, {
      type: 'user.signed_in',
      ...auditFields(options),
      owner: { kind: 'user', userId },
      at: now,
    });
  });
  return { sessionId, expiresAt: new Date(expiresAt) };
}
