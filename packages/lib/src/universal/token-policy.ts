// The limits a new token must keep, as pure rules: its team's policy (longest lifetime, scopes
// allowed) and the instance's longest lifetime (TOKEN_MAX_LIFETIME_DAYS). Browser-safe: the server
// enforces these on create and rotate, and the create dialog offers only what they allow.
import { EXPIRES_IN_MS, EXPIRES_IN_VALUES, type ExpiresIn } from './expires-in.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A team's policy: null fields mean no limit. */
export type TeamPolicyLimits = {
  maxLifetimeDays: number | null;
  allowedScopes: readonly string[] | null;
};

export type TokenPolicy = {
  /** The owning team's policy; null for a personal token. */
  team: TeamPolicyLimits | null;
  /** The instance's limit in days; null for none. */
  instanceMaxLifetimeDays: number | null;
};

export const LONGER_THAN_TEAM_ALLOWS = 'longer than the team allows';
export const LONGER_THAN_INSTANCE_ALLOWS = 'longer than this server allows';
export const SCOPES_TEAM_DOES_NOT_ALLOW = 'has scopes the team does not allow';

export type LifetimeLimit = {
  days: number;
  ms: number;
  /** Whose limit is the tighter one; a tie is the team's. */
  source: 'team' | 'instance';
  /** The words the token list marks a token past this limit with. */
  rule: string;
};

/** The tightest lifetime limit and where it comes from; null when nothing limits the lifetime. */
export function lifetimeLimit(policy: TokenPolicy): LifetimeLimit | null {
  const team = policy.team?.maxLifetimeDays ?? null;
  const instance = policy.instanceMaxLifetimeDays;
  if (team !== null && (instance === null || team <= instance))
    return { days: team, ms: team * DAY_MS, source: 'team', rule: LONGER_THAN_TEAM_ALLOWS };
  if (instance !== null)
    return { days: instance, ms: instance * DAY_MS, source: 'instance', rule: LONGER_THAN_INSTANCE_ALLOWS };
  return null;
}

/** Whether a lifetime (ms; null = never expires) keeps the policy: with a limit, a token must expire within it. */
export function lifetimeFits(policy: TokenPolicy, lifetime: number | null): boolean {
  const limit = lifetimeLimit(policy);
  return !limit || (lifetime !== null && lifetime <= limit.ms);
}

/** Whether an expiry preset keeps the policy (`NEVER` does only when nothing limits the lifetime). */
export function expiresInAllowed(policy: TokenPolicy, expiresIn: ExpiresIn): boolean {
  return lifetimeFits(policy, EXPIRES_IN_MS[expiresIn]);
}

/** The expiry presets a new token may be created with, in the usual order. */
export function allowedExpiresIn(policy: TokenPolicy): ExpiresIn[] {
  return EXPIRES_IN_VALUES.filter((value) => expiresInAllowed(policy, value));
}

/** Whether the team's policy lets a token hold a scope. */
export function scopeAllowed(policy: TokenPolicy, scope: string): boolean {
  const allowed = policy.team?.allowedScopes;
  return !allowed || allowed.includes(scope);
}

/** Every way an existing token breaks the current policy (made before it), in a fixed order; empty when none. */
export function policyBreaches(
  policy: TokenPolicy,
  token: { createdAt: number; expiresAt: number | null; scopes: readonly string[] },
): string[] {
  const breaches: string[] = [];
  const limit = lifetimeLimit(policy);
  if (limit && !lifetimeFits(policy, token.expiresAt === null ? null : token.expiresAt - token.createdAt))
    breaches.push(limit.rule);
  if (token.scopes.some((scope) => !scopeAllowed(policy, scope))) breaches.push(SCOPES_TEAM_DOES_NOT_ALLOW);
  return breaches;
}

/**
 * Why an existing token breaks the current policy, or null: every breach, joined with "and"
 * ("longer than the team allows and has scopes the team does not allow"), so a token that breaks
 * two rules says both.
 */
export function policyBreach(
  policy: TokenPolicy,
  token: { createdAt: number; expiresAt: number | null; scopes: readonly string[] },
): string | null {
  const breaches = policyBreaches(policy, token);
  return breaches.length === 0 ? null : breaches.join(' and ');
}
