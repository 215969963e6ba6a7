/**
 * Rules for outcomes the worker could not write yet: they are kept and tried again without end
 * while the process lives (forgetting one would send its message again), and their deliveries'
 * leases are extended meanwhile so that no one claims them.
 */

/** Waits between tries of a write: doubling from the first to the last, then the last again. */
export const RECORD_RETRY_FIRST_MS = 200;
export const RECORD_RETRY_MAX_MS = 2_000;
/** An outcome unwritten this long has its lease extended (the write usually takes milliseconds). */
export const EXTEND_AFTER_MS = 1_000;

/** The wait before the next try, after `failures` failed tries in a row (from 1). */
export function recordRetryDelayMs(failures: number): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 16);
  return Math.min(RECORD_RETRY_FIRST_MS * 2 ** exponent, RECORD_RETRY_MAX_MS);
}

export interface HeldOutcome {
  /** When the outcome was ready (this process's clock). */
  since: number;
  /** When its lease was last extended; undefined: not yet. */
  extendedAt?: number;
}

/**
 * The held outcomes whose leases to extend now: those unwritten for EXTEND_AFTER_MS, again every
 * quarter of a lease. A lease has at least LEASE_MARGIN_MS / 2 left when its attempt ends, so the
 * first extension comes well within it.
 */
export function leasesToExtend<T extends HeldOutcome>(
  held: readonly T[],
  now: number,
  leaseMs: number,
): T[] {
  return held.filter(
    (entry) =>
      now - entry.since >= EXTEND_AFTER_MS &&
      (entry.extendedAt === undefined || now - entry.extendedAt >= leaseMs / 4),
  );
}
