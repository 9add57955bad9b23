// Address limits on a token: the entries a user may give (addresses or CIDR ranges, IPv4 or IPv6),
// their normal form, and a matcher built once per token so that the per-request check is a few
// integer comparisons. Parsing and matching are ipaddr.js's; this file only says what we accept.
import ipaddr from 'ipaddr.js';

export const MAX_ALLOWED_IPS = 50;

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address it carries. */
function unmapped(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address;
}

/**
 * One entry as its normal form (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.1`), or an explanation of
 * why it is refused. A range is stored with its host bits cleared, an address without `/32`/`/128`.
 */
export function normaliseAllowedIp(entry: string): { ok: true; value: string } | { ok: false; reason: string } {
  const text = entry.trim();
  if (text.includes('%')) return { ok: false, reason: 'IPv6 zone ids (%…) are not allowed' };
  let range: Range;
  try {
    if (text.includes('/')) {
      // parseCIDR is lenient on some shapes (leading zeros, short IPv4); require the strict forms.
      const [address, bits] = text.split('/');
      if (!/^\d{1,3}$/.test(bits ?? '')) return { ok: false, reason: 'not an IP address or CIDR range' };
      if (
        !ipaddr.isValid(address!) ||
        !(ipaddr.IPv4.isValidFourPartDecimal(address!) || ipaddr.IPv6.isValid(address!))
      ) {
        return { ok: false, reason: 'not an IP address or CIDR range' };
      }
      range = ipaddr.parseCIDR(text);
    } else {
      if (!(ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text))) {
        return { ok: false, reason: 'not an IP address or CIDR range' };
      }
      const address = ipaddr.parse(text);
      range = [address, address.kind() === 'ipv4' ? 32 : 128];
    }
  } catch {
    return { ok: false, reason: 'not an IP address or CIDR range' };
  }
  let [address, bits] = range;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    address = (address as ipaddr.IPv6).toIPv4Address();
    bits -= 96;
  }
  const full = address.kind() === 'ipv4' ? 32 : 128;
  if (bits === full) return { ok: true, value: address.toString() };
  const network =
    address.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${bits}`);
  return { ok: true, value: `${network.toString()}/${bits}` };
}

/** Decides whether a client address is one a token may be used from. */
export type AllowedIpMatcher = (clientIp: string | undefined) => boolean;

const ANY: AllowedIpMatcher = () => true;

/** A matcher for stored (normalised) entries; none, `0.0.0.0/0` or `::/0` let every address in. */
export function allowedIpMatcher(entries: readonly string[]): AllowedIpMatcher {
  if (entries.length === 0) return ANY;
  const v4: Range[] = [];
  const v6: Range[] = [];
  for (const entry of entries) {
    const [address, bits] = entry.includes('/')
      ? ipaddr.parseCIDR(entry)
      : ((a) => [a, a.kind() === 'ipv4' ? 32 : 128])(ipaddr.parse(entry));
    if (bits === 0) return ANY;
    (address.kind() === 'ipv4' ? v4 : v6).push([address, bits] as Range);
  }
  // The last few client addresses and their answers: a token is used from few places, and parsing
  // the client address is most of the cost. The very last one is kept apart: most requests come
  // from the address before them, and two variables of this closure cost no memory reads beyond
  // the closure itself, where the Map costs two or three more (measured in `pnpm bench`).
  const seen = new Map<string, boolean>();
  let lastIp: string | undefined;
  let lastAllowed = false;
  return (clientIp) => {
    if (clientIp === undefined) return false;
    if (clientIp === lastIp) return lastAllowed;
    const known = seen.get(clientIp);
    if (known !== undefined) {
      lastIp = clientIp;
      lastAllowed = known;
      return known;
    }
    let allowed = false;
    if (ipaddr.isValid(clientIp)) {
      const address = unmapped(ipaddr.parse(clientIp));
      const ranges = address.kind() === 'ipv4' ? v4 : v6;
      allowed = ranges.some((range) => address.match(range));
    }
    if (seen.size >= 64) seen.clear();
    seen.set(clientIp, allowed);
    lastIp = clientIp;
    lastAllowed = allowed;
    return allowed;
  };
}

/**
 * The entries of a typed list: separated by commas, spaces or new lines, empty ones dropped. Each
 * entry is then checked on its own (`ZAllowedIps`), so an error can name it.
 */
export function splitAllowedIps(text: string): string[] {
  return text.split(/[\s,]+/).filter((entry) => entry !== '');
}
