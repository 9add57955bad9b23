// The policy rules the server enforces and the create dialog offers its choices by.
import { describe, expect, it } from 'vitest';
import {
  allowedExpiresIn,
  EXPIRES_IN_VALUES,
  expiresInAllowed,
  lifetimeLimit,
  LONGER_THAN_INSTANCE_ALLOWS,
  LONGER_THAN_TEAM_ALLOWS,
  policyBreach,
  scopeAllowed,
  SCOPES_TEAM_DOES_NOT_ALLOW,
  splitAllowedIps,
  type TokenPolicy,
} from '../src/universal/index';

const DAY = 24 * 60 * 60 * 1000;
const policy = (maxLifetimeDays: number | null, instance: number | null, allowedScopes: string[] | null = null) =>
  ({ team: { maxLifetimeDays, allowedScopes }, instanceMaxLifetimeDays: instance }) satisfies TokenPolicy;

describe('token policy rules', () => {
  it('offers every preset when nothing limits the lifetime, for a team and a personal token', () => {
    expect(allowedExpiresIn(policy(null, null))).toEqual([...EXPIRES_IN_VALUES]);
    expect(allowedExpiresIn({ team: null, instanceMaxLifetimeDays: null })).toEqual([...EXPIRES_IN_VALUES]);
  });

  it('drops NEVER and the presets longer than the limit; a preset exactly at the limit fits', () => {
    expect(allowedExpiresIn(policy(90, null))).toEqual(['SEVEN_DAYS', 'ONE_MONTH', 'THREE_MONTHS']);
    expect(allowedExpiresIn(policy(89, null))).toEqual(['SEVEN_DAYS', 'ONE_MONTH']);
    expect(allowedExpiresIn(policy(6, null))).toEqual([]);
    expect(allowedExpiresIn({ team: null, instanceMaxLifetimeDays: 365 })).toEqual(
      EXPIRES_IN_VALUES.filter((value) => value !== 'NEVER'),
    );
    expect(expiresInAllowed(policy(30, null), 'ONE_MONTH')).toBe(true);
    expect(expiresInAllowed(policy(30, null), 'NEVER')).toBe(false);
  });

  it('takes the tighter of the team and the instance limit, and says whose it is', () => {
    expect(lifetimeLimit(policy(90, 30))).toMatchObject({ days: 30, ms: 30 * DAY, source: 'instance' });
    expect(lifetimeLimit(policy(30, 90))).toMatchObject({ days: 30, source: 'team', rule: LONGER_THAN_TEAM_ALLOWS });
    expect(lifetimeLimit(policy(30, 30))?.source).toBe('team');
    expect(lifetimeLimit(policy(null, 7))).toMatchObject({ days: 7, rule: LONGER_THAN_INSTANCE_ALLOWS });
    expect(lifetimeLimit(policy(null, null))).toBeNull();
    expect(allowedExpiresIn(policy(365, 30))).toEqual(['SEVEN_DAYS', 'ONE_MONTH']);
  });

  it('allows only the listed scopes, or every scope without a list', () => {
    expect(scopeAllowed(policy(null, null, ['tokens:read']), 'tokens:read')).toBe(true);
    expect(scopeAllowed(policy(null, null, ['tokens:read']), 'tokens:write')).toBe(false);
    expect(scopeAllowed(policy(null, null), 'tokens:write')).toBe(true);
  });

  it('marks a token made before a stricter policy with the rule it breaks', () => {
    const token = { createdAt: 0, expiresAt: 180 * DAY, scopes: ['tokens:read'] };
    expect(policyBreach(policy(90, null), token)).toBe(LONGER_THAN_TEAM_ALLOWS);
    expect(policyBreach(policy(null, 90), token)).toBe(LONGER_THAN_INSTANCE_ALLOWS);
    expect(policyBreach(policy(180, null), token)).toBeNull();
    expect(policyBreach(policy(1, null), { ...token, expiresAt: null })).toBe(LONGER_THAN_TEAM_ALLOWS);
    expect(policyBreach(policy(null, null, ['audit:read']), token)).toBe(SCOPES_TEAM_DOES_NOT_ALLOW);
    expect(policyBreach(policy(null, null), { ...token, expiresAt: null })).toBeNull();
  });

  it('names every rule a token breaks, not only the first', () => {
    const token = { createdAt: 0, expiresAt: 365 * DAY, scopes: ['tokens:write'] };
    expect(policyBreach(policy(90, null, ['tokens:read']), token)).toBe(
      `${LONGER_THAN_TEAM_ALLOWS} and ${SCOPES_TEAM_DOES_NOT_ALLOW}`,
    );
  });

  it('splits a typed list of allowed addresses on commas, spaces and new lines, dropping empty entries', () => {
    expect(splitAllowedIps(' 10.0.0.0/8,203.0.113.7\n\n2001:db8::/32 , ')).toEqual([
      '10.0.0.0/8',
      '203.0.113.7',
      '2001:db8::/32',
    ]);
    expect(splitAllowedIps('  \n ')).toEqual([]);
  });
});
