import { describe, expect, it } from 'vitest';
import { leasesToExtend, recordRetryDelayMs } from './unwritten-outcomes.js';

describe('recordRetryDelayMs', () => {
  it('doubles from 200 ms to 2 s, then stays there without end', () => {
    expect([1, 2, 3, 4, 5, 6, 100, 10_000].map(recordRetryDelayMs)).toEqual([
      200, 400, 800, 1600, 2000, 2000, 2000, 2000,
    ]);
  });
});

describe('leasesToExtend', () => {
  const leaseMs = 20_000;
  const now = 100_000;

  it('leaves outcomes waiting less than a second alone (the usual write)', () => {
    expect(leasesToExtend([{ since: now - 999 }], now, leaseMs)).toEqual([]);
  });

  it('extends those waiting a second, then every quarter of a lease', () => {
    const held = [
      { since: now - 1_000 },
      { since: now - 30_000, extendedAt: now - 5_000 },
      { since: now - 30_000, extendedAt: now - 4_999 },
    ];
    expect(leasesToExtend(held, now, leaseMs)).toEqual([held[0], held[1]]);
  });
});
