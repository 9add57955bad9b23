// A usage series (counts as arrays, see ZApiTokenUsageSeries) and its buckets as objects.
import type { ApiTokenUsage, ApiTokenUsageSeries, UsageGranularity } from '../types/usage-and-audit';

const HOUR_MS = 60 * 60 * 1000;

/** The length of one bucket, in milliseconds. */
export function usageBucketMs(granularity: UsageGranularity): number {
  return granularity === 'hour' ? HOUR_MS : 24 * HOUR_MS;
}

/** The buckets of a series, oldest first, each with its start. */
export function usageBuckets(series: ApiTokenUsageSeries): ApiTokenUsage['buckets'] {
  const size = usageBucketMs(series.granularity);
  return series.requests.map((requests, i) => ({
    start: new Date(series.bucketsFrom + i * size),
    requests,
    failed: series.failed[i] ?? 0,
  }));
}

/** The usage with its buckets as objects (the REST and CLI shape). */
export function usageWithBuckets(series: ApiTokenUsageSeries): ApiTokenUsage {
  const { bucketsFrom: _from, requests: _requests, failed: _failed, ...rest } = series;
  return { ...rest, buckets: usageBuckets(series) };
}
