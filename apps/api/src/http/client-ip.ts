// The client's address, worked out once per request: express's `req.ip` applies the trust-proxy
// rules again on every read, and the request log, every per-address limit, the token's address list,
// usage and audit events all need it. Each of them sees it normalised (`clientAddress`: one spelling
// per address, IPv4-mapped IPv6 as IPv4), and every limit counts it by its `limitKey` (an IPv6
// client by its /64).
import type { Request } from 'express';
import { clientAddress, UNKNOWN_LIMIT_KEY, type ClientAddress } from '@latchkey/lib';

const CLIENT_ADDRESS = Symbol('clientAddress');

type WithClientAddress = Request & { [CLIENT_ADDRESS]?: ClientAddress | null };

/** The client's normalised address, from `req.ip` on the first call and remembered on the request. */
export function clientAddressOf(req: Request): ClientAddress | null {
  const r = req as WithClientAddress;
  const known = r[CLIENT_ADDRESS];
  if (known !== undefined) return known;
  const raw = req.ip;
  return (r[CLIENT_ADDRESS] = raw === undefined || raw === '' ? null : clientAddress(raw));
}

/** The client's address in its one spelling (undefined when the socket is gone). */
export function clientIp(req: Request): string | undefined {
  return clientAddressOf(req)?.ip;
}

/** What every per-address limit counts the request under: the address, or its /64 for IPv6. */
export function clientLimitKey(req: Request): string {
  return clientAddressOf(req)?.limitKey ?? UNKNOWN_LIMIT_KEY;
}
