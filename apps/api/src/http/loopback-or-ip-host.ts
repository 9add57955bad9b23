// Which `Host` a server without PUBLIC_URL accepts changes under. A page on any site can point its
// own name at 127.0.0.1 (DNS rebinding) and then post to this server as a same-origin page, under
// its own name. A loopback name or an address typed in the bar cannot be rebound like that.
import { isIP } from 'node:net';
import type { Request } from 'express';

/**
 * `localhost` and names under `.localhost` (RFC 6761 keeps them for loopback; no one can register
 * them, and browsers resolve them to loopback themselves), or an IPv4 or IPv6 address, with or
 * without a port; a trailing dot is allowed. Anything else, or nothing, is false.
 */
export function isLoopbackOrIpHost(host: string): boolean {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[')) {
    const end = name.indexOf(']');
    if (end === -1 || !/^(:\d{1,5})?$/.test(name.slice(end + 1))) return false;
    return isIP(name.slice(1, end)) === 6;
  }
  name = name.replace(/:\d{1,5}$/, '').replace(/\.$/, '');
  return isIP(name) === 4 || name === 'localhost' || /^[a-z0-9-]+(\.[a-z0-9-]+)*\.localhost$/.test(name);
}

/** Every name the request was sent under: its `Host`, and any `X-Forwarded-Host` a proxy added. */
export function servedUnderLoopbackOrIp(req: Request): boolean {
  const forwarded = req.headers['x-forwarded-host'];
  const hosts = [req.headers.host ?? '', ...(typeof forwarded === 'string' ? forwarded.split(',') : [])];
  return hosts.every(isLoopbackOrIpHost);
}
