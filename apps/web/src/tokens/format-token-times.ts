// How token dates read in the table. Pure functions of (date, now) so they are easy to test.
import type { ApiTokenStatus } from '@latchkey/lib/types';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Under this, an expiry is shown as "in N days" with a warning badge. */
export const EXPIRES_SOON_MS = 7 * DAY;

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'always' });

export function formatDate(date: Date): string {
  return date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function formatDateTime(date: Date): string {
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });
}

export type ExpiryDisplay =
  | { kind: 'never'; text: 'Never expires' }
  | { kind: 'retiring'; text: 'Retiring'; stops: string; title: string }
  | { kind: 'expired'; text: 'Expired'; title: string }
  | { kind: 'soon'; text: string; title: string }
  | { kind: 'date'; text: string; title: string };

export function describeExpiry(expiresAt: Date | null, now: number, status: ApiTokenStatus = 'active'): ExpiryDisplay {
  if (expiresAt === null) return { kind: 'never', text: 'Never expires' };
  const left = expiresAt.getTime() - now;
  // Rotated with a grace period: `expiresAt` is when the grace period (or its own life) ends.
  if (status === 'retiring' && left > 0) {
    const stops = left < EXPIRES_SOON_MS ? `stops ${formatIn(left)}` : `stops ${formatDate(expiresAt)}`;
    return { kind: 'retiring', text: 'Retiring', stops, title: `Rotated; stops working ${formatDateTime(expiresAt)}` };
  }
  const title = `${left <= 0 || status === 'expired' ? 'Expired' : 'Expires'} ${formatDateTime(expiresAt)}`;
  if (status === 'expired' || left <= 0) return { kind: 'expired', text: 'Expired', title };
  if (left < EXPIRES_SOON_MS) return { kind: 'soon', text: formatIn(left), title };
  return { kind: 'date', text: formatDate(expiresAt), title };
}

/** "in 3 days", "in 5 hours", "in 12 minutes". */
function formatIn(ms: number): string {
  if (ms >= DAY) return relative.format(Math.round(ms / DAY), 'day');
  if (ms >= HOUR) return relative.format(Math.floor(ms / HOUR), 'hour');
  return relative.format(Math.max(1, Math.floor(ms / MINUTE)), 'minute');
}

/** Said of a token nobody has used; worded unlike "Never expires" so the two columns are not confused. */
export const NOT_USED_YET = 'Not used yet';

/** "Not used yet", "Less than a minute ago", "5 minutes ago", "3 hours ago", "2 days ago", or a date past a month. */
export function formatLastUsed(lastUsedAt: Date | null, now: number): string {
  if (lastUsedAt === null) return NOT_USED_YET;
  const ago = Math.max(0, now - lastUsedAt.getTime());
  if (ago < MINUTE) return 'Less than a minute ago';
  if (ago < HOUR) return relative.format(-Math.floor(ago / MINUTE), 'minute');
  if (ago < DAY) return relative.format(-Math.floor(ago / HOUR), 'hour');
  if (ago < 30 * DAY) return relative.format(-Math.floor(ago / DAY), 'day');
  return formatDate(lastUsedAt);
}
