// A client's address as every part of the server sees it. The same client can be written many ways
// (`198.51.100.9`, `::ffff:198.51.100.9`, `::ffff:c633:6409`, `0:0:0:0:0:ffff:198.51.100.9`), and a
// limit keyed on the text would count each spelling apart; and one IPv6 client usually holds a
// whole /64 (2^64 addresses), so a limit per IPv6 address would limit nobody. Parsing and printing
// are ipaddr.js's.
import ipaddr from 'ipaddr.js';

export type ClientAddress = {
  /**
   * The address in one spelling: an IPv4-mapped IPv6 address as the IPv4 address it carries, IPv6
   * in its shortest form (RFC 5952). What `allowedIps` checks, usage and audit events record.
   */
  readonly ip: string;
  /** What every per-address limit counts: the address itself for IPv4, its /64 for IPv6. */
  readonly limitKey: string;
};

/** An IPv6 address whose first 64 bits are kept, the rest zeros. */
function networkOf64(address: ipaddr.IPv6): string {
  const [a, b, c, d] = address.parts as [number, number, number, number];
  return `${new ipaddr.IPv6([a, b, c, d, 0, 0, 0, 0]).toString()}/64`;
}

function parse(raw: string): ClientAddress {
  // Only the strict forms: ipaddr.js would also read `0x7f.1` or `010.0.0.1` (octal) as IPv4.
  if (!ipaddr.IPv4.isValidFourPartDecimal(raw) && !ipaddr.IPv6.isValid(raw)) {
    // Not an address (a proxy trusted by mistake passed on what a client wrote): kept as it came,
    // so that it is still counted, logged and refused by every address list.
    return Object.freeze({ ip: raw, limitKey: raw });
  }
  const address = ipaddr.process(raw);
  const ip = address.toString();
  if (address.kind() === 'ipv4') return Object.freeze({ ip, limitKey: ip });
  return Object.freeze({ ip, limitKey: networkOf64(address as ipaddr.IPv6) });
}

// Requests come from few addresses at a time, and parsing is most of the cost: the answers for the
// last addresses seen are kept (at most `MAX_REMEMBERED`, then forgotten all at once, so a flood of
// addresses costs a parse each and no growing memory). The very last one is kept apart, as most
// requests come from the address before them.
const remembered = new Map<string, ClientAddress>();
const MAX_REMEMBERED = 1024;
let lastRaw: string | undefined;
let lastAddress: ClientAddress | undefined;

/** The client address `raw` (as the socket or a trusted proxy gave it) in its one spelling, with its limit key. */
export function clientAddress(raw: string): ClientAddress {
  if (raw === lastRaw) return lastAddress!;
  // No address is this long (45 characters, and a zone id): not worth keeping.
  if (raw.length > 64) return parse(raw);
  let address = remembered.get(raw);
  if (address === undefined) {
    address = parse(raw);
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(raw, address);
  }
  lastRaw = raw;
  lastAddress = address;
  return address;
}
