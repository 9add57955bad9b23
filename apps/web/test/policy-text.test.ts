// The sentences the create dialog and the token list use for a token policy and address limits.
import { describe, expect, it } from 'vitest';
import type { TokenPolicy } from '@latchkey/lib/universal';
import { describeAllowedIps, missingExpiriesReason, missingScopesReason } from '../src/tokens/policy-text';

const team = (maxLifetimeDays: number | null, allowedScopes: string[] | null = null, instance: number | null = null) =>
  ({ team: { maxLifetimeDays, allowedScopes }, instanceMaxLifetimeDays: instance }) satisfies TokenPolicy;

describe('policy wording', () => {
  it('says why expiries are missing, naming whose limit it is', () => {
    expect(missingExpiriesReason(team(null))).toBeNull();
    expect(missingExpiriesReason(team(90))).toBe('Longer expiries are not allowed: the team allows at most 90 days.');
    expect(missingExpiriesReason(team(null, null, 30))).toBe(
      'Longer expiries are not allowed: this server allows at most 30 days.',
    );
    // Only "Never" is missing when the limit is a year or more.
    expect(missingExpiriesReason(team(365))).toBe('“Never” is not allowed: the team allows at most 365 days.');
    expect(missingExpiriesReason(team(1))).toBe('Longer expiries are not allowed: the team allows at most 1 day.');
  });

  it('names the scopes a policy leaves out', () => {
    const all = ['tokens:read', 'tokens:write', 'audit:read'];
    expect(missingScopesReason(team(null), all)).toBeNull();
    expect(missingScopesReason(team(null, ['tokens:read']), all)).toBe(
      "Not offered: tokens:write, audit:read. The team's token policy does not allow them.",
    );
  });

  it('describes allowed addresses in a few words', () => {
    expect(describeAllowedIps(['10.0.0.0/8'])).toBe('10.0.0.0/8');
    expect(describeAllowedIps(['192.0.2.1', '2001:db8::1'])).toBe('2 addresses');
    expect(describeAllowedIps(['10.0.0.0/8', '2001:db8::/32'])).toBe('2 ranges');
    expect(describeAllowedIps(['10.0.0.0/8', '192.0.2.1', '::1'])).toBe('3 addresses/ranges');
  });
});
