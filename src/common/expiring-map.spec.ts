import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpiringMap } from './expiring-map.js';

describe('ExpiringMap', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 1_000_000;
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('answers an entry until it expires, and forgets it then', () => {
    const sut = new ExpiringMap<number>({ now });
    sut.set('a', 1, clock + 500);
    expect(sut.get('a')).toBe(1);
    clock += 499;
    expect(sut.get('a')).toBe(1);
    clock += 1;
    expect(sut.get('a')).toBeUndefined();
    expect(sut.size).toBe(0);
  });

  it('sweeps out expired entries of callers that never come back, and then stops its timer', () => {
    const sut = new ExpiringMap<string>({ now, sweepEveryMs: 1_000 });
    for (let index = 0; index < 1_000; index++) sut.set(`10.0.${index}`, 'x', clock + 1_500);
    sut.set('kept', 'y', clock + 10_000);
    expect(vi.getTimerCount()).toBe(1);
    clock += 1_000;
    vi.advanceTimersByTime(1_000);
    expect(sut.size).toBe(1_001);
    clock += 1_000;
    vi.advanceTimersByTime(1_000);
    expect(sut.size).toBe(1);
    expect(sut.get('kept')).toBe('y');
    clock += 10_000;
    vi.advanceTimersByTime(1_000);
    expect(sut.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds at most maxEntries, dropping the least recently set first', () => {
    const sut = new ExpiringMap<number>({ now, maxEntries: 10 });
    for (const key of 'abcdefghij') sut.set(key, 1, clock + 60_000);
    sut.set('a', 2, clock + 60_000); // set again: the most recent now
    sut.set('k', 3, clock + 60_000);
    // past 10: the oldest go, down to nine tenths
    expect(sut.size).toBe(9);
    expect(sut.get('b')).toBeUndefined();
    expect(sut.get('c')).toBeUndefined();
    expect([sut.get('d'), sut.get('a'), sut.get('k')]).toEqual([1, 2, 3]);
  });

  it('stays within its bound under a flood of new keys', () => {
    const sut = new ExpiringMap<number>({ now, maxEntries: 100_000 });
    let largest = 0;
    for (let index = 0; index < 120_000; index++) {
      sut.set(`key-${index}`, index, clock + 60_000);
      largest = Math.max(largest, sut.size);
    }
    expect(largest).toBe(100_000);
    expect(sut.get('key-0')).toBeUndefined();
    expect(sut.get('key-119999')).toBe(119_999);
  });
});
