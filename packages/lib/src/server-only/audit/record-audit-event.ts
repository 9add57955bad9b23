// Writes one audit event. Called with the transaction of the change it records, so an event exists
// exactly when its change was committed. Callers pass facts, never secrets (no token, hash,
// password, session id or cookie): `details` is for names, roles, scopes and times (times as
// milliseconds or ISO 8601 text; they are stored as the text).
import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import type { AuditActorKind, AuditEventType } from '../../universal/audit-event-types.js';
import type { TokenOwner } from '../public-api/token-owner.js';
import { withIsoTimes } from './audit-detail-times.js';

export type AuditActor = { kind: AuditActorKind; id: number | null; name: string | null };

export type AuditEventInput = {
  type: AuditEventType;
  actor: AuditActor;
  /** Whose log holds the event: the personal tokens' or account's user, or the team. */
  owner: TokenOwner;
  tokenId?: number | null;
  ip?: string | null;
  userAgent?: string | null;
  details?: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  at: number;
};

/** How an adapter tells a library operation who acts and from where, for the events it records. */
export type AuditContext = { actor?: AuditActor; ip?: string | null; userAgent?: string | null };

// A user agent is whatever the client sent; keep a bounded amount of it.
const MAX_USER_AGENT_LENGTH = 512;

export async function recordAuditEvent(trx: Kysely<Schema>, event: AuditEventInput): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({
      type: event.type,
      created_at: event.at,
      actor_kind: event.actor.kind,
      actor_id: event.actor.id,
      actor_name: event.actor.name,
      user_id: event.owner.kind === 'user' ? event.owner.userId : null,
      team_id: event.owner.kind === 'team' ? event.owner.teamId : null,
      token_id: event.tokenId ?? null,
      ip: event.ip ?? null,
      user_agent: event.userAgent == null ? null : event.userAgent.slice(0, MAX_USER_AGENT_LENGTH),
      details: JSON.stringify(withIsoTimes(event.details ?? {})),
    })
    .execute();
}
