/**
 * Attempt durations counted in buckets by the database (upper bounds in ms, the last one open),
 * so a window's percentiles cost a few dozen rows per webhook however many attempts it holds.
 */
export const LATENCY_BOUNDS_MS = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000,
  5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 60_000,
];

/** The SQL expression of a duration's bucket index (0 … LATENCY_BOUNDS_MS.length). */
export function latencyBucketSql(column: string): string {
  const cases = LATENCY_BOUNDS_MS.map((bound, index) => `WHEN ${column} < ${bound} THEN ${index}`);
  return `CASE ${cases.join(' ')} ELSE ${LATENCY_BOUNDS_MS.length} END`;
}

/** One bucket's attempts: how many, and the shortest and longest duration among them. */
export interface LatencyBucket {
  index: number;
  count: number;
  minMs: number;
  maxMs: number;
}

/**
 * The p-th quantile (0 … 1) of the durations a histogram counts, by nearest rank: the bucket holding that rank,
 * interpolated between its shortest and longest duration (exact when they are equal); null for
 * none.
 */
export function percentile(buckets: readonly LatencyBucket[], p: number): number | null {
  const sorted = [...buckets].sort((a, b) => a.index - b.index);
  const total = sorted.reduce((sum, bucket) => sum + bucket.count, 0);
  if (total === 0) return null;
  const rank = Math.round(p * (total - 1));
  let before = 0;
  for (const bucket of sorted) {
    if (rank < before + bucket.count) {
      const position = bucket.count === 1 ? 0 : (rank - before) / (bucket.count - 1);
      return Math.round(bucket.minMs + (bucket.maxMs - bucket.minMs) * position);
    }
    before += bucket.count;
  }
  return sorted[sorted.length - 1].maxMs;
}
