// The limits a new token must keep: its team's policy (longest lifetime, scopes allowed) and the
// instance's longest lifetime (TOKEN_MAX_LIFETIME_DAYS). Applied on create and rotate for every way
// in; tokens made before a policy keep their expiry and are only marked in the list.
import type { Kysely } from 'kysely';
import type { Schema } from '../../db/schema';
import { AppError, AppErrorCode } from '../../errors/app-error';
import type { TeamPolicy } from '../../types/schemas';
import type { TokenOwner } from './token-owner';

const DAY_MS = 24 * 60 * 60 * 1000;

export type TokenPolicy = {
  team: TeamPolicy | null;
  /** The instance's limit in days; null for none. */
  instanceMaxLifetimeDays: number | null;
};

export const LONGER_THAN_TEAM_ALLOWS = 'longer than the team allows';
export const LONGER_THAN_INSTANCE_ALLOWS = 'longer than this server allows';
export const SCOPES_TEAM_DOES_NOT_ALLOW = 'has scopes the team does not allow';

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

/** The tightest lifetime limit and the rule it comes from; null when nothing limits the lifetime. */
function lifetimeLimit(policy: TokenPolicy): { ms: number; rule: string; days: number } | null {
  const team = policy.team?.maxLifetimeDays ?? null;
  const instance = policy.instanceMaxLifetimeDays;
  if (team === null && instance === null) return null;
  if (team !== null && (instance === null || team <= instance))
    return { ms: team * DAY_MS, rule: LONGER_THAN_TEAM_ALLOWS, days: team };
  return { ms: instance! * DAY_MS, rule: LONGER_THAN_INSTANCE_ALLOWS, days: instance! };
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
  const limit = lifetimeLimit(policy);
  if (limit && (lifetime === null || lifetime > limit.ms)) throw lifetimeRefusal(policy, lifetime);
}

/** The 400 for a lifetime past the policy's limit; `lifetime` null: a token that never expires. */
export function lifetimeRefusal(policy: TokenPolicy, lifetime: number | null): AppError {
  const limit = lifetimeLimit(policy)!;
  const who = limit.rule === LONGER_THAN_TEAM_ALLOWS ? "This team's token policy" : "This server's token policy";
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
  const allowed = policy.team?.allowedScopes;
  if (!allowed) return;
  const refused = scopes.filter((scope) => !allowed.includes(scope));
  if (refused.length > 0) {
    throw policyError(
      'scopes',
      `This team's token policy does not allow the scope${refused.length > 1 ? 's' : ''} ${refused.join(', ')}`,
    );
  }
}

/** Why an existing token breaks the current policy, or null. */
export function policyBreach(
  policy: TokenPolicy,
  token: { createdAt: number; expiresAt: number | null; scopes: readonly string[] },
): string | null {
  const limit = lifetimeLimit(policy);
  if (limit && (token.expiresAt === null || token.expiresAt - token.createdAt > limit.ms)) return limit.rule;
  const allowed = policy.team?.allowedScopes;
  if (allowed && token.scopes.some((scope) => !allowed.includes(scope))) return SCOPES_TEAM_DOES_NOT_ALLOW;
  return null;
}
