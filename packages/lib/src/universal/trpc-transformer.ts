// The tRPC transformer of the server and the web UI: superjson, which carries Dates and undefined,
// with one compact form of its own. A usage answer holds hundreds of buckets, each with a Date, and
// superjson walks every value and writes down the path of every Date (`buckets.17.start`): for 31
// days hourly that was about a third of the server's time for the call. Returned as a
// `CompactUsage`, the same answer crosses as columns of numbers and comes out on the other side as
// the plain object it was, Dates and all.
import { SuperJSON } from 'superjson';
import type { ApiTokenUsage } from '../types/usage-and-audit.js';

/** A usage answer, marked to cross as columns; on the other side it is a plain `ApiTokenUsage`. */
export class CompactUsage implements ApiTokenUsage {
  readonly tokenId: ApiTokenUsage['tokenId'];
  readonly granularity: ApiTokenUsage['granularity'];
  readonly from: Date;
  readonly to: Date;
  readonly total: ApiTokenUsage['total'];
  readonly buckets: ApiTokenUsage['buckets'];
  readonly recentIps: ApiTokenUsage['recentIps'];

  constructor(usage: ApiTokenUsage) {
    this.tokenId = usage.tokenId;
    this.granularity = usage.granularity;
    this.from = usage.from;
    this.to = usage.to;
    this.total = usage.total;
    this.buckets = usage.buckets;
    this.recentIps = usage.recentIps;
  }
}

/** The wire form: times as milliseconds since the epoch, buckets and addresses as columns. */
type UsageColumns = {
  tokenId: number;
  granularity: ApiTokenUsage['granularity'];
  from: number;
  to: number;
  total: ApiTokenUsage['total'];
  starts: number[];
  requests: number[];
  failed: number[];
  ips: string[];
  userAgents: Array<string | null>;
  lastSeen: number[];
};

function toColumns(usage: CompactUsage): UsageColumns {
  const { buckets, recentIps } = usage;
  const starts = new Array<number>(buckets.length);
  const requests = new Array<number>(buckets.length);
  const failed = new Array<number>(buckets.length);
  for (let i = 0; i < buckets.length; i++) {
    const bucket = buckets[i]!;
    starts[i] = bucket.start.getTime();
    requests[i] = bucket.requests;
    failed[i] = bucket.failed;
  }
  return {
    tokenId: usage.tokenId,
    granularity: usage.granularity,
    from: usage.from.getTime(),
    to: usage.to.getTime(),
    total: { requests: usage.total.requests, failed: usage.total.failed },
    starts,
    requests,
    failed,
    ips: recentIps.map((seen) => seen.ip),
    userAgents: recentIps.map((seen) => seen.userAgent),
    lastSeen: recentIps.map((seen) => seen.lastSeenAt.getTime()),
  };
}

function fromColumns(columns: UsageColumns): ApiTokenUsage {
  const { starts, requests, failed, ips, userAgents, lastSeen } = columns;
  return {
    tokenId: columns.tokenId,
    granularity: columns.granularity,
    from: new Date(columns.from),
    to: new Date(columns.to),
    total: columns.total,
    buckets: starts.map((start, i) => ({ start: new Date(start), requests: requests[i]!, failed: failed[i]! })),
    recentIps: ips.map((ip, i) => ({ ip, userAgent: userAgents[i] ?? null, lastSeenAt: new Date(lastSeen[i]!) })),
  };
}

export const trpcTransformer = new SuperJSON();
trpcTransformer.registerCustom<CompactUsage, UsageColumns>(
  {
    isApplicable: (value): value is CompactUsage => value instanceof CompactUsage,
    serialize: toColumns,
    deserialize: fromColumns,
  },
  'latchkey.usage',
);
