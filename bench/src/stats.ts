// Small statistics for the reports: medians of ratios, percentiles of latencies.

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0–100) of already sorted values, nearest rank. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** p50 and p99 of the first `n` values of a buffer (sorted in place). */
export function latencySummary(buffer: Float64Array, n: number): { p50: number; p99: number } {
  const values = buffer.subarray(0, n).sort();
  return { p50: percentileSorted(values, 50), p99: percentileSorted(values, 99) };
}

export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Microseconds below 1 ms, milliseconds above. `ms` is in milliseconds. */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 1) return `${formatNumber(ms * 1000, ms < 0.01 ? 2 : 1)} µs`;
  return `${formatNumber(ms, ms < 10 ? 2 : 1)} ms`;
}

export function formatBytes(bytes: number): string {
  return `${formatNumber(bytes / (1024 * 1024), 0)} MB`;
}
