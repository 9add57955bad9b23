// The client's address, read once per request: express's `req.ip` applies the trust-proxy rules
// again on every read, and the request log, the per-IP limit and the failure limit all need it.
import type { Request } from 'express';

const CLIENT_IP = Symbol('clientIp');

type WithClientIp = Request & { [CLIENT_IP]?: string | undefined };

/** `req.ip`, computed on the first call and remembered on the request. */
export function clientIp(req: Request): string | undefined {
  const r = req as WithClientIp;
  if (CLIENT_IP in r) return r[CLIENT_IP];
  return (r[CLIENT_IP] = req.ip);
}
