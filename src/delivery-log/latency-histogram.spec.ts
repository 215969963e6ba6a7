import { describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS_MS, type LatencyBucket, percentile } from './latency-histogram.js';

/** The histogram the database would count for these durations. */
function histogram(durations: number[]): LatencyBucket[] {
  const buckets = new Map<number, LatencyBucket>();
  for (const ms of durations) {
    let index = LATENCY_BOUNDS_MS.findIndex((bound) => ms < bound);
    if (index === -1) index = LATENCY_BOUNDS_MS.length;
    const bucket = buckets.get(index) ?? { index, count: 0, minMs: ms, maxMs: ms };
    bucket.count++;
    bucket.minMs = Math.min(bucket.minMs, ms);
    bucket.maxMs = Math.max(bucket.maxMs, ms);
    buckets.set(index, bucket);
  }
  return [...buckets.values()];
}

/** The exact quantile, with the same rank rule. */
function exact(durations: number[], p: number): number {
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted[Math.round(p * (sorted.length - 1))];
}

describe('percentile', () => {
  it('is null without durations', () => {
    expect(percentile([], 0.5)).toBeNull();
  });

  it('is exact when each bucket holds one value', () => {
    const durations = [4, 12, 35, 120, 900];
    expect(percentile(histogram(durations), 0.5)).toBe(35);
    expect(percentile(histogram(durations), 0.95)).toBe(900);
    expect(percentile(histogram([7, 7, 7]), 0.5)).toBe(7);
  });

  it('keeps to the bucket that holds the rank, whatever the order of the rows', () => {
    const durations = Array.from({ length: 1000 }, (_, i) => (i < 900 ? 20 + (i % 10) : 400 + i));
    const buckets = histogram(durations).reverse();
    const p50 = percentile(buckets, 0.5)!;
    const p95 = percentile(buckets, 0.95)!;
    expect(p50).toBeGreaterThanOrEqual(20);
    expect(p50).toBeLessThanOrEqual(29);
    expect(Math.abs(p95 - exact(durations, 0.95))).toBeLessThanOrEqual(
      0.5 * exact(durations, 0.95),
    );
    expect(p95).toBeGreaterThanOrEqual(1300);
  });
});
