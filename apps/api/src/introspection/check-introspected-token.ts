// The token check behind introspection, and nothing else: the runtime's one verifier, asked with the
// address the service says its caller has. A use of the token like any API request (last use, usage,
// recent addresses, reuse of a rotated-away token, the owner's limit). The service client is limited
// by the endpoint (per client, never per address), so the verifier counts no client here. The
// endpoint (introspection-endpoint.ts) only translates the verdict into RFC 7662.
import type { VerifiedApiToken, Verifier } from '@latchkey/lib';

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

export function createIntrospectionCheck(verifier: Verifier): CheckIntrospectedToken {
  return async (token, { ip, userAgent }) => {
    // Any refusal (unknown, expired, the owner's limit, the address) is simply "not active".
    const verdict = await verifier.verify(token, { ip, userAgent, limitBy: 'none' });
    return verdict.ok ? { ok: true, token: verdict.token } : REFUSED;
  };
}
