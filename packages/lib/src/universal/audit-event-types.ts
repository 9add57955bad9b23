// The kinds of audit event (API.md "Audit log"); the UI offers them as a filter.

export const AUDIT_EVENT_TYPES = [
  'token.created',
  'token.rotated',
  'token.deleted',
  'token.revoked',
  'token.reused_after_rotation',
  'token.ip_refused',
  'team.member_added',
  'team.member_role_changed',
  'team.member_removed',
  'team.policy_updated',
  'user.signed_in',
  'user.sign_in_failed',
  'user.disabled',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export const AUDIT_ACTOR_KINDS = ['user', 'token', 'cli', 'leak_report'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];
