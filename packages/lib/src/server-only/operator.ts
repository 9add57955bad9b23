// The operator: whoever runs the command line on the server's database. They act without a user
// account, so an operation that takes an operator checks no team role (the database is theirs).

export type OperatorActor = { kind: 'operator' };

export const OPERATOR: OperatorActor = Object.freeze({ kind: 'operator' });

export function isOperator(actor: unknown): actor is OperatorActor {
  return typeof actor === 'object' && actor !== null && (actor as { kind?: unknown }).kind === 'operator';
}
