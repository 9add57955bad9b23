// Where the limits a new token must keep come from (its team's row, the instance's setting) and the
// 400s that name them. The rules themselves are universal/token-policy.ts, shared with the UI.
// Applied on create and rotate for every way in; tokens made before a policy keep their expiry and
// are only marked in the list.
import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema.js';
import { AppError, AppErrorCode } from '../../errors/app-error.js';
import type { TeamPolicy } from '../../types/schemas.js';
import type { ExpiresIn } from '../../universal/expires-in.js';
import { EXPIRES_IN_MS } from '../../universal/expires-in.js';
import { lifetimeFits, lifetimeLimit, scopeAllowed, type TokenPolicy } from '../../universal/token-policy.js';
import type { TokenOwner } from './token-owner.js';

export function teamPolicyOfRow(row: {
  policy_max_lifetime_days: number | null;
  policy_allowed_scopes: string | null;
}): TeamPolicy {
  return {
    maxLifetimeDays: row.policy_max_lifetime_days === null ? null : Number(row.policy_max_lifetime_days),
    allowedScopes: row.policy_allowed_scopes === null ? null : (JSON.parse(row.policy_allowed_scopes) as string[]),
  };
}

/** The policy that applies to an owner's new tokens. */
export async function getTokenPolicy(
  db: Kysely<Schema>,
  owner: TokenOwner,
  instanceMaxLifetimeDays: number | null | undefined,
): Promise<TokenPolicy> {
  let team: TeamPolicy | null = null;
  if (owner.kind === 'team') {
    const row = await db
      .selectFrom('teams')
      .select(['policy_max_lifetime_days', 'policy_allowed_scopes'])
      .where('id', '=', owner.teamId)
      .executeTakeFirst();
    if (row) team = teamPolicyOfRow(row);
  }
  return { team, instanceMaxLifetimeDays: instanceMaxLifetimeDays ?? null };
}

/** The longest lifetime a new token may have, in ms; null when it may never expire. */
export function longestAllowedLifetime(policy: TokenPolicy): number | null {
  return lifetimeLimit(policy)?.ms ?? null;
}

function policyError(field: 'expiresIn' | 'scopes', message: string): AppError {
  return new AppError(AppErrorCode.INVALID_BODY, { message, issues: [{ path: field, message }] });
}

/** Throws a 400 that names the rule when a lifetime (ms, null = never expires) breaks the policy. */
export function assertLifetimeAllowed(policy: TokenPolicy, lifetime: number | null): void {
  if (!lifetimeFits(policy, lifetime)) throw lifetimeRefusal(policy, lifetime);
}

/** Throws the same 400 for an expiry preset the policy does not allow. */
export function assertExpiresInAllowed(policy: TokenPolicy, expiresIn: ExpiresIn): void {
  assertLifetimeAllowed(policy, EXPIRES_IN_MS[expiresIn]);
}

/** The 400 for a lifetime past the policy's limit; `lifetime` null: a token that never expires. */
export function lifetimeRefusal(policy: TokenPolicy, lifetime: number | null): AppError {
  const limit = lifetimeLimit(policy)!;
  const who = limit.source === 'team' ? "This team's token policy" : "This server's token policy";
  const plural = limit.days === 1 ? 'day' : 'days';
  return policyError(
    'expiresIn',
    lifetime === null
      ? `${who} requires every token to expire, within ${limit.days} ${plural}`
      : `${who} allows tokens to live at most ${limit.days} ${plural}; choose a shorter expiry`,
  );
}

/** Throws a 400 naming the scopes a team's policy does not allow. */
export function assertScopesAllowed(policy: TokenPolicy, scopes: readonly string[]): void {
  const refused = scopes.filter((scope) => !scopeAllowed(policy, scope));
  if (refused.length > 0) {
    throw policyError(
      'scopes',
      `This team's token policy does not allow the scope${refused.length > 1 ? 's' : ''} ${refused.join(', ')}`,
    );
  }
}
