// Client addresses in one spelling, and the key every per-address limit counts them by: the
// address for IPv4, the /64 for IPv6.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientAddress } from '../src/server-only/client-address';

describe('clientAddress', () => {
  it('gives every spelling of an IPv4 address, IPv4-mapped IPv6 included, one spelling and one key', () => {
    for (const raw of ['198.51.100.9', '::ffff:198.51.100.9', '::ffff:c633:6409', '0:0:0:0:0:ffff:198.51.100.9']) {
      expect(clientAddress(raw), raw).toEqual({ ip: '198.51.100.9', limitKey: '198.51.100.9' });
    }
    expect(clientAddress('::FFFF:C633:6409')).toEqual({ ip: '198.51.100.9', limitKey: '198.51.100.9' });
    expect(clientAddress('198.51.100.10').limitKey).toBe('198.51.100.10');
  });

  it('writes IPv6 in its shortest form and keys it by its /64', () => {
    expect(clientAddress('2001:DB8:0:0:0:0:0:1')).toEqual({ ip: '2001:db8::1', limitKey: '2001:db8::/64' });
    expect(clientAddress('2001:0db8:0000:0000:0000:0000:0000:0001').ip).toBe('2001:db8::1');
    expect(clientAddress('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toEqual({
      ip: '2001:db8:1:2:aaaa:bbbb:cccc:dddd',
      limitKey: '2001:db8:1:2::/64',
    });
    expect(clientAddress('2001:db8:1:3::1').limitKey).toBe('2001:db8:1:3::/64');
    expect(clientAddress('::1')).toEqual({ ip: '::1', limitKey: '::/64' });
  });

  it('gives every address of one /64 the same key, whatever its interface part and spelling', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }), (low) => {
        const full = ['2001', 'db8', '1', '2', ...low.map((part) => part.toString(16))].join(':');
        const padded = ['2001', '0db8', '0001', '0002', ...low.map((part) => part.toString(16).padStart(4, '0'))]
          .join(':')
          .toUpperCase();
        expect(clientAddress(full).limitKey).toBe('2001:db8:1:2::/64');
        expect(clientAddress(padded)).toEqual(clientAddress(full));
      }),
    );
  });

  it('keeps what is not an address as it came, counted as itself (no lenient IPv4 forms)', () => {
    for (const raw of ['unknown', '198.051.100.9', '0x7f.1', '1', '198.51.100.9:1234', '[2001:db8::1]']) {
      expect(clientAddress(raw), raw).toEqual({ ip: raw, limitKey: raw });
    }
  });

  it('answers the same for an address seen before, and for more addresses than it remembers', () => {
    const first = clientAddress('203.0.113.7');
    expect(clientAddress('203.0.113.7')).toBe(first);
    for (let i = 0; i < 3000; i++) clientAddress(`2001:db8:${i.toString(16)}::1`);
    expect(clientAddress('203.0.113.7')).toEqual(first);
    expect(clientAddress('2001:db8:abc::1')).toEqual({ ip: '2001:db8:abc::1', limitKey: '2001:db8:abc::/64' });
  });
});
