// Times in an event's `details` (a token's `expiresAt`, a rotation's `previousTokenStopsAt`, a reuse's
// `stoppedAt`) are ISO 8601 text, like every other time the API gives. Events are written so; events
// stored before as epoch milliseconds are given so when read, and stay as they were stored.

const TIME_FIELDS = ['expiresAt', 'previousTokenStopsAt', 'stoppedAt'] as const;

/** `details` with each time field that holds epoch milliseconds as ISO 8601 text; anything else as it is. */
export function withIsoTimes(details: Record<string, unknown>): Record<string, unknown> {
  let result = details;
  for (const field of TIME_FIELDS) {
    const value = details[field];
    if (typeof value === 'number' && Number.isFinite(value)) {
      if (result === details) result = { ...details };
      result[field] = new Date(value).toISOString();
    }
  }
  return result;
}
