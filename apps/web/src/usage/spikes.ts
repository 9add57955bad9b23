// The spike rule, apart from the chart so that the usage view can list spikes without loading it.

export type UsageBucket = { start: Date; requests: number; failed: number };

export const SPIKE_FACTOR = 5;

/** Buckets whose requests exceed SPIKE_FACTOR × `average` (and at least 1). */
export function spikesOf(buckets: UsageBucket[], average: number): UsageBucket[] {
  return buckets.filter((b) => b.requests > 0 && b.requests > SPIKE_FACTOR * average);
}
