// When a new token expires: the caller's `expiresIn`, checked against every limit that applies; or,
// when the caller chose nothing, the longest lifetime those limits allow (NEVER when none applies).
// A limit refuses an explicit choice that breaks it, but never a choice the caller did not make.
import type { AppError } from '../../errors/app-error.js';
import { EXPIRES_IN_MS, type ExpiresIn } from '../../universal/expires-in.js';

/** The latest moment (ms) a new token may expire, and the error for an explicit choice past it. */
export type ExpiryLimit = { latest: number; refuse: () => AppError };

export type ChooseExpiryOptions = {
  now: number;
  /** Undefined: the caller did not choose. */
  expiresIn: ExpiresIn | undefined;
  limits: readonly ExpiryLimit[];
  /**
   * The token policy's longest lifetime (ms; null: none). It only bounds the default: an explicit
   * choice is checked against the policy before, by the rule the create dialog uses
   * (`expiresInAllowed`).
   */
  policyLongest?: number | null;
};

/** The new token's `expires_at` in ms, or null for a token that never expires. */
export function chooseExpiry({ now, expiresIn, limits, policyLongest = null }: ChooseExpiryOptions): number | null {
  if (expiresIn === undefined) {
    const latest = limits.map((limit) => limit.latest);
    if (policyLongest !== null) latest.push(now + policyLongest);
    return latest.length === 0 ? null : Math.min(...latest);
  }
  const lifetime = EXPIRES_IN_MS[expiresIn];
  const expiresAt = lifetime === null ? null : now + lifetime;
  const broken = limits.find((limit) => expiresAt === null || expiresAt > limit.latest);
  if (broken) throw broken.refuse();
  return expiresAt;
}
