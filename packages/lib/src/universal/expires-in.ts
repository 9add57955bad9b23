// The lifetimes a token can be created with, and what each means in milliseconds.

export const EXPIRES_IN_VALUES = [
  'NEVER',
  'SEVEN_DAYS',
  'ONE_MONTH',
  'THREE_MONTHS',
  'SIX_MONTHS',
  'ONE_YEAR',
] as const;
export type ExpiresIn = (typeof EXPIRES_IN_VALUES)[number];

const DAY_MS = 24 * 60 * 60 * 1000;

export const EXPIRES_IN_MS: Record<ExpiresIn, number | null> = {
  NEVER: null,
  SEVEN_DAYS: 7 * DAY_MS,
  ONE_MONTH: 30 * DAY_MS,
  THREE_MONTHS: 90 * DAY_MS,
  SIX_MONTHS: 180 * DAY_MS,
  ONE_YEAR: 365 * DAY_MS,
};

export const EXPIRES_IN_LABELS: Record<ExpiresIn, string> = {
  NEVER: 'Never',
  SEVEN_DAYS: '7 days',
  ONE_MONTH: '1 month',
  THREE_MONTHS: '3 months',
  SIX_MONTHS: '6 months',
  ONE_YEAR: '1 year',
};

export const DEFAULT_UI_EXPIRES_IN: ExpiresIn = 'THREE_MONTHS';

/** The longest grace period a rotation may give the old token: 7 days. */
export const MAX_GRACE_PERIOD_SECONDS = 7 * 24 * 60 * 60;
