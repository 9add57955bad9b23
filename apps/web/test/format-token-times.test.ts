// How the tokens table words expiry and last use; plain functions, no browser needed.
import { describe, expect, it } from 'vitest';
import { describeExpiry, formatLastUsed } from '../src/tokens/format-token-times';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const now = Date.UTC(2026, 5, 15, 12, 0, 0);

describe('describeExpiry', () => {
  it('says "Never expires" for a token without an expiry', () => {
    expect(describeExpiry(null, now)).toEqual({ kind: 'never', text: 'Never expires' });
  });

  it('calls a retiring token Retiring and says when it stops, counting down under 7 days', () => {
    expect(describeExpiry(new Date(now + 59 * MINUTE), now, 'retiring')).toMatchObject({
      kind: 'retiring',
      text: 'Retiring',
      stops: 'stops in 59 minutes',
    });
    expect(describeExpiry(new Date(now + 2 * DAY + HOUR), now, 'retiring')).toMatchObject({
      kind: 'retiring',
      stops: 'stops in 2 days',
    });
    expect(describeExpiry(new Date(now + 7 * DAY), now, 'retiring').kind).toBe('retiring');
    // Once its grace period is over it is simply expired.
    expect(describeExpiry(new Date(now - MINUTE), now, 'retiring').kind).toBe('expired');
  });

  it('marks a token whose expiry has passed, or that the server calls expired, as Expired', () => {
    expect(describeExpiry(new Date(now - MINUTE), now).kind).toBe('expired');
    expect(describeExpiry(new Date(now), now).kind).toBe('expired');
    expect(describeExpiry(new Date(now + DAY), now, 'expired').text).toBe('Expired');
  });

  it('counts down "in N days" under 7 days, and hours or minutes under a day', () => {
    expect(describeExpiry(new Date(now + 3 * DAY + HOUR), now)).toMatchObject({ kind: 'soon', text: 'in 3 days' });
    expect(describeExpiry(new Date(now + 7 * DAY - MINUTE), now)).toMatchObject({ kind: 'soon', text: 'in 7 days' });
    expect(describeExpiry(new Date(now + DAY), now)).toMatchObject({ kind: 'soon', text: 'in 1 day' });
    expect(describeExpiry(new Date(now + 5 * HOUR + 10 * MINUTE), now)).toMatchObject({
      kind: 'soon',
      text: 'in 5 hours',
    });
    expect(describeExpiry(new Date(now + 20 * 1000), now)).toMatchObject({ kind: 'soon', text: 'in 1 minute' });
  });

  it('shows a date from 7 days on', () => {
    expect(describeExpiry(new Date(now + 7 * DAY), now).kind).toBe('date');
    expect(describeExpiry(new Date(now + 90 * DAY), now).kind).toBe('date');
  });
});

describe('formatLastUsed', () => {
  it('words recent use relatively and old use as a date', () => {
    expect(formatLastUsed(null, now)).toBe('Not used yet');
    expect(formatLastUsed(new Date(now - 20 * 1000), now)).toBe('Less than a minute ago');
    expect(formatLastUsed(new Date(now - 5 * MINUTE - 5000), now)).toBe('5 minutes ago');
    expect(formatLastUsed(new Date(now - MINUTE), now)).toBe('1 minute ago');
    expect(formatLastUsed(new Date(now - 3 * HOUR), now)).toBe('3 hours ago');
    expect(formatLastUsed(new Date(now - 2 * DAY), now)).toBe('2 days ago');
    expect(formatLastUsed(new Date(now - 45 * DAY), now)).not.toMatch(/ago/);
  });

  it('treats a use stamped slightly in the future (clock skew) as just now', () => {
    expect(formatLastUsed(new Date(now + 10 * 1000), now)).toBe('Less than a minute ago');
  });
});
