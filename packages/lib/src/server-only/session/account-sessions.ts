// The signed-in sessions of an account: listed (the current one marked), and ended all but the
// current one ("sign out everywhere else"). Only hashes of session ids are stored, so a session is
// named to the UI by its row id, never by anything that could sign in.
import type { Db } from '../../db/create-database.js';
import { auditFields } from '../audit/audit-actor.js';
import { recordAuditEvent, type AuditContext } from '../audit/record-audit-event.js';
import type { Clock } from '../clock.js';
import { hashSecret } from '../hash.js';

export type AccountSession = {
  id: number;
  createdAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  /** The session this request came with. */
  current: boolean;
};

/** The user's live sessions, newest first. */
export async function getAccountSessions(options: {
  db: Db;
  clock: Clock;
  userId: number;
  currentSessionId: string;
}): Promise<AccountSession[]> {
  const { db, clock, userId } = options;
  const currentHash = hashSecret(options.currentSessionId);
  const rows = await db
    .selectFrom('sessions')
    .select(['id', 'token_hash', 'created_at', 'expires_at', 'ip', 'user_agent'])
    .where('user_id', '=', userId)
    .where('expires_at', '>', clock.now())
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    createdAt: new Date(Number(row.created_at)),
    expiresAt: new Date(Number(row.expires_at)),
    ip: row.ip,
    userAgent: row.user_agent,
    current: row.token_hash === currentHash,
  }));
}

/**
 * Ends every session of the user but `keepSessionId` (inside `trx` when given: a password change
 * ends them in its own transaction). Answers how many ended.
 */
export async function endOtherSessions(db: Db, options: { userId: number; keepSessionId: string }): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where('user_id', '=', options.userId)
    .where('token_hash', '!=', hashSecret(options.keepSessionId))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** "Sign out everywhere else": ends the user's other sessions, recorded as `user.sessions_ended`. */
export async function signOutOtherSessions(options: {
  db: Db;
  clock: Clock;
  userId: number;
  currentSessionId: string;
  audit?: AuditContext;
}): Promise<{ ended: number }> {
  const { db, clock, userId } = options;
  return db.transaction().execute(async (trx) => {
    const ended = await endOtherSessions(trx, { userId, keepSessionId: options.currentSessionId });
    await recordAuditEvent(trx, {
      type: 'user.sessions_ended',
      ...auditFields(options),
      owner: { kind: 'user', userId },
      details: { ended },
      at: clock.now(),
    });
    return { ended };
  });
}
