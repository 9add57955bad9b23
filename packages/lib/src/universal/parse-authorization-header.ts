// Reads the token out of an `Authorization` header: `Bearer <token>` (scheme in any case) or the
// bare token. It only finds the token; whether the token is well formed is checked afterwards.

/** Longer headers are refused before any other work; a real one is under 50 characters. */
export const MAX_AUTHORIZATION_HEADER_LENGTH = 1024;

export type ParsedAuthorization = { ok: true; token: string } | { ok: false; reason: 'missing' | 'malformed' };

export function parseAuthorizationHeader(header: string | string[] | undefined | null): ParsedAuthorization {
  if (header === undefined || header === null) return { ok: false, reason: 'missing' };
  // Node joins repeated headers into an array for some names; two Authorization headers are ambiguous.
  if (Array.isArray(header)) {
    return header.length === 0 ? { ok: false, reason: 'missing' } : { ok: false, reason: 'malformed' };
  }
  if (header.length > MAX_AUTHORIZATION_HEADER_LENGTH) return { ok: false, reason: 'malformed' };
  const value = header.trim();
  if (value === '') return { ok: false, reason: 'missing' };

  const parts = value.split(/[ \t]+/);
  if (parts.length === 1) {
    // `Bearer` and nothing after it: the scheme was sent, the token was not.
    return parts[0]!.toLowerCase() === 'bearer' ? { ok: false, reason: 'missing' } : { ok: true, token: parts[0]! };
  }
  if (parts.length === 2 && parts[0]!.toLowerCase() === 'bearer') return { ok: true, token: parts[1]! };
  // `Basic …`, several tokens, or commas from joined headers.
  return { ok: false, reason: 'malformed' };
}
