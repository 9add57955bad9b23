// Who an event names as its actor, and from where: what the adapter said (`audit`), or else the
// signed-in user or the API token the operation acts through.
import type { AuditActor, AuditContext } from './record-audit-event.js';

export type AuditSource = { audit?: AuditContext; userId?: number; viaToken?: { id: number; name?: string } };

export function auditFields(options: AuditSource): { actor: AuditActor; ip: string | null; userAgent: string | null } {
  const actor: AuditActor = options.audit?.actor
    ? options.audit.actor
    : options.viaToken
      ? { kind: 'token', id: options.viaToken.id, name: options.viaToken.name ?? null }
      : { kind: 'user', id: options.userId ?? null, name: null };
  return { actor, ip: options.audit?.ip ?? null, userAgent: options.audit?.userAgent ?? null };
}
