// How the UI words a token policy. The rules (which expiries and scopes are allowed) are the
// library's; this file only turns their answers into sentences.
import {
  EXPIRES_IN_LABELS,
  EXPIRES_IN_VALUES,
  expiresInAllowed,
  lifetimeLimit,
  scopeAllowed,
  type TokenPolicy,
} from '@latchkey/lib/universal';

export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  'tokens:read': 'List tokens and read their details and usage',
  'tokens:write': 'Create, rotate and delete tokens',
  'audit:read': 'Read the audit log',
};

export function formatDays(days: number): string {
  return `${days} ${days === 1 ? 'day' : 'days'}`;
}

/** "the team allows at most 90 days" or "this server allows at most 90 days"; null without a limit. */
export function lifetimeLimitText(policy: TokenPolicy): string | null {
  const limit = lifetimeLimit(policy);
  if (!limit) return null;
  return `${limit.source === 'team' ? 'the team' : 'this server'} allows at most ${formatDays(limit.days)}`;
}

/** Why some expiry choices are not offered, or null when all are. */
export function missingExpiriesReason(policy: TokenPolicy): string | null {
  const limitText = lifetimeLimitText(policy);
  if (!limitText) return null;
  const missing = EXPIRES_IN_VALUES.filter((value) => !expiresInAllowed(policy, value));
  if (missing.length === 1) return `“${EXPIRES_IN_LABELS.NEVER}” is not allowed: ${limitText}.`;
  return `Longer expiries are not allowed: ${limitText}.`;
}

/** Why some scopes are not offered, or null when all are. */
export function missingScopesReason(policy: TokenPolicy, scopes: readonly string[]): string | null {
  const missing = scopes.filter((scope) => !scopeAllowed(policy, scope));
  if (missing.length === 0) return null;
  const them = missing.length === 1 ? 'it' : 'them';
  return `Not offered: ${missing.join(', ')}. The team's token policy does not allow ${them}.`;
}

/** "10.0.0.0/8", "2 addresses", "3 ranges" or "4 addresses/ranges": a token's address limit, short. */
export function describeAllowedIps(entries: readonly string[]): string {
  if (entries.length === 1) return entries[0]!;
  const ranges = entries.filter((entry) => entry.includes('/')).length;
  if (ranges === 0) return `${entries.length} addresses`;
  if (ranges === entries.length) return `${entries.length} ranges`;
  return `${entries.length} addresses/ranges`;
}
