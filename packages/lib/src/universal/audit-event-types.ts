// The kinds of audit event (API.md "Audit log"); the UI offers them as a filter.

export const AUDIT_EVENT_TYPES = [
  'token.created',
  'token.rotated',
  'token.deleted',
  'token.revoked',
  'token.reused_after_rotation',
  'token.ip_refused',
  'team.created',
  'team.renamed',
  'team.deleted',
  'team.member_added',
  'team.member_role_changed',
  'team.member_removed',
  'team.policy_updated',
  'user.signed_in',
  'user.sign_in_failed',
  'user.disabled',
  'user.password_changed',
  'user.sessions_ended',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/**
 * The types an owner's log can hold: account events go to a user's log, team changes to a team's,
 * token events to both. The Activity page offers only these as its filter.
 */
export const AUDIT_EVENT_TYPES_BY_OWNER: Record<'user' | 'team', readonly AuditEventType[]> = {
  // A deleted team has no log left: its deletion is in the log of the admin who deleted it.
  user: AUDIT_EVENT_TYPES.filter((type) => !type.startsWith('team.') || type === 'team.deleted'),
  team: AUDIT_EVENT_TYPES.filter((type) => !type.startsWith('user.') && type !== 'team.deleted'),
};

export const AUDIT_ACTOR_KINDS = ['user', 'token', 'cli', 'leak_report'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];
