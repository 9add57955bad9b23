// The shared tRPC transformer: a usage answer wrapped in CompactUsage crosses as columns and comes
// back equal to the plain object it was, Dates included; everything else is plain superjson.
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import type { ApiTokenUsage } from '../src/types/usage-and-audit';
import { CompactUsage, trpcTransformer } from '../src/universal/trpc-transformer';

const HOUR = 3_600_000;

function usage(buckets: number, ips: number): ApiTokenUsage {
  const first = Date.UTC(2026, 10, 1);
  return {
    tokenId: 42,
    granularity: 'hour',
    from: new Date(first + 1234),
    to: new Date(first + buckets * HOUR - 1),
    total: { requests: buckets * 3, failed: buckets },
    buckets: Array.from({ length: buckets }, (_, i) => ({
      start: new Date(first + i * HOUR),
      requests: 3,
      failed: i % 2,
    })),
    recentIps: Array.from({ length: ips }, (_, i) => ({
      ip: `2001:db8::${i}`,
      userAgent: i % 2 ? null : `agent/${i}`,
      lastSeenAt: new Date(first + i * 1000),
    })),
  };
}

describe('trpcTransformer', () => {
  it('gives back a CompactUsage as the plain usage object, Dates and nulls included', () => {
    for (const [buckets, ips] of [
      [745, 5],
      [1, 0],
      [0, 1],
    ] as const) {
      const plain = usage(buckets, ips);
      const wire = JSON.parse(JSON.stringify(trpcTransformer.serialize(new CompactUsage(plain))));
      const back = trpcTransformer.deserialize<ApiTokenUsage>(wire);
      expect(back).toEqual(plain);
      expect(back).not.toBeInstanceOf(CompactUsage);
      expect(back.buckets.every((bucket) => bucket.start instanceof Date)).toBe(true);
      // As plain superjson would give it, so the UI sees no difference.
      expect(back).toEqual(superjson.deserialize(superjson.serialize(plain)));
    }
  });

  it('notes one annotation for the whole answer instead of one per Date, and sends less', () => {
    const plain = usage(745, 5);
    const compact = trpcTransformer.serialize(new CompactUsage(plain));
    expect(compact.meta?.values).toEqual([['custom', 'latchkey.usage']]);
    const plainWire = JSON.stringify(superjson.serialize(plain));
    expect(JSON.stringify(compact).length).toBeLessThan(plainWire.length / 2);
  });

  it('is superjson for everything else', () => {
    const value = { at: new Date(5), missing: undefined, list: [new Date(7), 1n], map: new Map([['a', 1]]) };
    const wire = trpcTransformer.serialize(value);
    expect(wire).toEqual(superjson.serialize(value));
    expect(trpcTransformer.deserialize(wire)).toEqual(value);
  });
});
