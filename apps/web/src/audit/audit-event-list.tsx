// A list of audit events: what happened, who did it, from where, when. Used by the Activity pages
// and by a token's usage view.
import type { AuditEvent } from '@latchkey/lib/types';
import { formatDateTime } from '../tokens/format-token-times';
import { formatDays } from '../tokens/policy-text';

const DESCRIPTIONS: Record<string, string> = {
  'token.created': 'Token created',
  'token.rotated': 'Token rotated',
  'token.deleted': 'Token deleted',
  'token.revoked': 'Token revoked by value',
  'token.reused_after_rotation': 'Rotated-away token used again',
  'token.ip_refused': 'Token used from a refused address',
  'team.created': 'Team created',
  'team.member_added': 'Member added',
  'team.member_role_changed': 'Member role changed',
  'team.member_removed': 'Member removed',
  'team.policy_updated': 'Token policy changed',
  'user.signed_in': 'Signed in',
  'user.sign_in_failed': 'Failed sign-in',
  'user.disabled': 'Account disabled',
};

export function describeAuditEventType(type: string): string {
  return DESCRIPTIONS[type] ?? type;
}

/** What happened, in words; a revocation says why: a leak report, or its maker leaving. */
function describeEvent(event: AuditEvent): string {
  if (event.type === 'token.revoked' && event.details.source === 'leak_report')
    return 'Token revoked after it was reported as leaked';
  if (event.type === 'token.revoked' && event.details.reason === 'maker_left_team')
    return 'Token revoked: its maker left the team';
  if (event.type === 'token.revoked' && event.details.reason === 'maker_disabled')
    return 'Token revoked: its maker was disabled';
  return describeAuditEventType(event.type);
}

/** Events that may mean a token is in the wrong hands. */
function isWarning(event: AuditEvent): boolean {
  return (
    event.type === 'token.reused_after_rotation' ||
    event.type === 'user.sign_in_failed' ||
    (event.type === 'token.revoked' && event.details.source === 'leak_report')
  );
}

function actorText(event: AuditEvent): string {
  const { kind, name, id } = event.actor;
  if (kind === 'cli') return 'the command line';
  if (kind === 'leak_report') return 'a leak report';
  if (kind === 'token') return name ? `token ${name}` : `token #${id ?? '?'}`;
  return name ?? (id === null ? 'someone' : `user #${id}`);
}

/** A policy as the event stores it (`details.after`), in a few words: "at most 90 days · tokens:read". */
function policyText(policy: unknown): string | null {
  if (typeof policy !== 'object' || policy === null) return null;
  const { maxLifetimeDays, allowedScopes } = policy as { maxLifetimeDays?: unknown; allowedScopes?: unknown };
  const lifetime = typeof maxLifetimeDays === 'number' ? `at most ${formatDays(maxLifetimeDays)}` : 'no lifetime limit';
  const scopes = Array.isArray(allowedScopes) ? allowedScopes.join(', ') : 'all scopes';
  return `${lifetime} · ${scopes}`;
}

/** The token's first characters (`api_Ab3x…`), which tell apart tokens of one name (after a rotation). */
function tokenStart(event: AuditEvent): string | null {
  const start = event.details.start;
  return typeof start === 'string' ? `${start}…` : null;
}

/** Where a rotation led: "→ api_Zq9…". */
function successorStart(event: AuditEvent): string | null {
  const start = event.details.newTokenStart;
  return event.type === 'token.rotated' && typeof start === 'string' ? `${start}…` : null;
}

function subject(event: AuditEvent): string | null {
  if (event.type === 'team.policy_updated') return policyText(event.details.after);
  const name = event.details.name;
  if (typeof name === 'string') return name;
  const email = event.details.email;
  return typeof email === 'string' ? email : null;
}

export function AuditEventList({ events, label }: { events: AuditEvent[]; label: string }) {
  return (
    <ol className="audit-list" aria-label={label}>
      {events.map((event) => {
        const what = subject(event);
        const start = tokenStart(event);
        const successor = successorStart(event);
        const danger = isWarning(event);
        return (
          <li key={event.id} className="audit-item" data-event-type={event.type}>
            <div className="audit-main">
              <span className={`badge ${danger ? 'badge-danger' : ''}`}>{describeEvent(event)}</span>
              {what && <span className="audit-subject">{what}</span>}
              {start && (
                <code className="audit-start" title="The first characters of the token">
                  {start}
                  {successor && ` → ${successor}`}
                </code>
              )}
            </div>
            <div className="audit-meta muted">
              by {actorText(event)}
              {event.ip && <> · {event.ip}</>} ·{' '}
              <time dateTime={event.createdAt.toISOString()}>{formatDateTime(event.createdAt)}</time>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
