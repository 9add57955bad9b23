// The token check behind introspection, and nothing else: the library's check functions (the
// cache first, the database on a miss), then the token's address list against the address the
// service says its caller has. A use of the token like any API request: it is recorded in
// `lastUsed` (last use, usage, recent addresses) and a rotated-away token presented again is
// reported. The endpoint (introspection-endpoint.ts) only translates the verdict into RFC 7662.
import {
  checkApiTokenAfterMiss,
  checkCachedApiToken,
  type Clock,
  type Db,
  type LastUsedTracker,
  type RetiredTokenReuseDetector,
  type VerifiedApiToken,
} from '@latchkey/lib';

export type IntrospectionVerdict = { ok: true; token: VerifiedApiToken } | { ok: false };

/**
 * `ip`: the address of the service's caller (`client_ip`), normalised; null when not given, which
 * no address-limited token allows. `userAgent`: the service's.
 */
export type CheckIntrospectedToken = (
  token: string,
  request: { ip: string | null; userAgent: string | null },
) => Promise<IntrospectionVerdict>;

const REFUSED: IntrospectionVerdict = Object.freeze({ ok: false });

export function createIntrospectionCheck(deps: {
  db: Db;
  clock: Clock;
  lastUsed?: LastUsedTracker;
  retiredTokens?: RetiredTokenReuseDetector;
}): CheckIntrospectedToken {
  const { db, clock, lastUsed, retiredTokens } = deps;
  return async (token, { ip, userAgent }) => {
    const options = { db, clock, token, lastUsed, retiredTokens, ip, userAgent };
    const cached = checkCachedApiToken(options);
    const check = cached.ok === undefined ? await checkApiTokenAfterMiss(options, cached) : cached;
    if (!check.ok) return REFUSED;
    if (!check.token.isAllowedIp(ip ?? undefined)) {
      // Counted as a failed use, as a 403 for the address is on the REST API.
      lastUsed?.fail(check.token.id);
      return REFUSED;
    }
    return check;
  };
}
