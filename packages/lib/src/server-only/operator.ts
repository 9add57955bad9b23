// The operator: whoever runs the command line on the server's database. They act without a user
// account, so an operation that takes an operator checks no team role (the database is theirs).
import type { AuditContext } from './audit/record-audit-event.js';

export type OperatorActor = { kind: 'operator' };

export const OPERATOR: OperatorActor = Object.freeze({ kind: 'operator' });

/** Who performs a team operation: a signed-in user (whose role is checked), or the operator. */
export type UserOrOperator = { userId: number; actor?: undefined } | { actor: OperatorActor; userId?: undefined };

export function isOperator(actor: unknown): actor is OperatorActor {
  return typeof actor === 'object' && actor !== null && (actor as { kind?: unknown }).kind === 'operator';
}

/** The operator is the command line in the audit log, unless the adapter names someone else. */
export function operatorAuditContext(audit: AuditContext | undefined): AuditContext {
  return { ...audit, actor: audit?.actor ?? { kind: 'cli', id: null, name: null } };
}
