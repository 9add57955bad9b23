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

/** A stored (normalised) entry as a range: an address is a range of one. */
function rangeOf(entry: string): Range {
  if (entry.includes('/')) return ipaddr.parseCIDR(entry);
  const address = ipaddr.parse(entry);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
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

/** An IPv4 address as one unsigned 32-bit number. */
function ipv4Number(address: ipaddr.IPv4): number {
  const [a, b, c, d] = address.octets as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** The mask of the `bits` leading bits of a 32-bit word. */
function wordMask(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** An IPv6 address as four unsigned 32-bit words, high first. */
function ipv6Words(address: ipaddr.IPv6, into: Uint32Array, at: number): void {
  const parts = address.parts;
  for (let k = 0; k < 4; k++) into[at + k] = ((parts[2 * k]! << 16) | parts[2 * k + 1]!) >>> 0;
}

/**
 * A matcher for stored (normalised) entries; none, `0.0.0.0/0` or `::/0` let every address in.
 * ipaddr.js parses the entries once and each new client address; the ranges are kept as network and
 * mask words in two typed arrays, so that a cached token with 50 ranges holds a handful of objects
 * rather than hundreds, and a match is a few integer comparisons.
 */
export function allowedIpMatcher(entries: readonly string[]): AllowedIpMatcher {
  if (entries.length === 0) return ANY;
  const parsed: Range[] = [];
  for (const entry of entries) {
    const range = rangeOf(entry);
    if (range[1] === 0) return ANY;
    parsed.push(range);
  }
  const v4Ranges = parsed.filter(([address]) => address.kind() === 'ipv4');
  const v6Ranges = parsed.filter(([address]) => address.kind() === 'ipv6');
  // v4: [network, mask] per range; v6: four network words, then four mask words, per range.
  const v4 = new Uint32Array(v4Ranges.length * 2);
  v4Ranges.forEach(([address, bits], i) => {
    v4[2 * i + 1] = wordMask(bits);
    v4[2 * i] = (ipv4Number(address as ipaddr.IPv4) & v4[2 * i + 1]!) >>> 0;
  });
  const v6 = new Uint32Array(v6Ranges.length * 8);
  v6Ranges.forEach(([address, bits], i) => {
    ipv6Words(address as ipaddr.IPv6, v6, 8 * i);
    for (let k = 0; k < 4; k++) {
      v6[8 * i + 4 + k] = wordMask(bits - 32 * k);
      v6[8 * i + k] = (v6[8 * i + k]! & v6[8 * i + 4 + k]!) >>> 0;
    }
  });
  const client6 = new Uint32Array(4);

  function matches(clientIp: string): boolean {
    let parsedClient: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      // One parse (isValid would parse it too): an address that does not parse is in no range.
      parsedClient = ipaddr.parse(clientIp);
    } catch {
      return false;
    }
    const address = unmapped(parsedClient);
    if (address.kind() === 'ipv4') {
      const n = ipv4Number(address as ipaddr.IPv4);
      for (let i = 0; i < v4.length; i += 2) if ((n & v4[i + 1]!) >>> 0 === v4[i]) return true;
      return false;
    }
    ipv6Words(address as ipaddr.IPv6, client6, 0);
    for (let i = 0; i < v6.length; i += 8) {
      let k = 0;
      while (k < 4 && (client6[k]! & v6[i + 4 + k]!) >>> 0 === v6[i + k]) k++;
      if (k === 4) return true;
    }
    return false;
  }

  // The last few client addresses and their answers: a token is used from few places, and parsing
  // the client address is most of the cost. The very last one is kept apart: most requests come
  // from the address before them, and two variables of this closure cost no memory reads beyond
  // the closure itself, where the Map costs two or three more (measured in `pnpm bench`).
  let seen: Map<string, boolean> | undefined;
  let lastIp: string | undefined;
  let lastAllowed = false;
  return (clientIp) => {
    if (clientIp === undefined) return false;
    if (clientIp === lastIp) return lastAllowed;
    let allowed = seen?.get(clientIp);
    if (allowed === undefined) {
      allowed = matches(clientIp);
      seen ??= new Map();
      if (seen.size >= 64) seen.clear();
      seen.set(clientIp, allowed);
    }
    lastIp = clientIp;
    lastAllowed = allowed;
    return allowed;
  };
}

/** Whether stored entries let every address in: none, or a `/0` range (as `allowedIpMatcher` reads them). */
export function allowsAnyAddress(entries: readonly string[]): boolean {
  return entries.length === 0 || entries.some((entry) => entry.endsWith('/0'));
}

/**
 * The entries of `list` that reach beyond `limit` (both stored, normalised lists; [] = any address):
 * each entry must lie inside one range of the limit, of its own family. A list that lets every
 * address in is beyond every limit but one that does too; it is then named `any address`.
 */
export function allowedIpsBeyond(list: readonly string[], limit: readonly string[]): string[] {
  if (allowsAnyAddress(limit)) return [];
  if (list.length === 0) return ['any address'];
  const ranges = limit.map(rangeOf);
  return list.filter((entry) => {
    const [address, bits] = rangeOf(entry);
    return !ranges.some(
      ([network, networkBits]) =>
        network.kind() === address.kind() && networkBits <= bits && address.match(network, networkBits),
    );
  });
}

/**
 * The entries of a typed list: separated by commas, spaces or new lines, empty ones dropped. Each
 * entry is then checked on its own (`ZAllowedIps`), so an error can name it.
 */
export function splitAllowedIps(text: string): string[] {
  return text.split(/[\s,]+/).filter((entry) => entry !== '');
}
