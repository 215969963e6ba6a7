import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WindowCounterStorage } from './window-counter.storage.js';

describe('WindowCounterStorage', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('counts per key up to the limit, then blocks for the block duration', async () => {
    const sut = new WindowCounterStorage();
    const hit = (key = 'a') => sut.increment(key, 60_000, 3, 30_000, 'default');
    for (let i = 1; i <= 3; i++)
      expect(await hit()).toMatchObject({ totalHits: i, isBlocked: false });
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    expect(await hit('b')).toMatchObject({ totalHits: 1, isBlocked: false });
    vi.advanceTimersByTime(30_000);
    // blocked no more, but the window (and its count) lasts until 60 s
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    vi.advanceTimersByTime(60_000);
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('forgets windows that ended and keeps no timer once none is left', async () => {
    const sut = new WindowCounterStorage();
    await sut.increment('a', 1_000, 10, 1_000, 'default');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(60_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sweeps the windows of keys that never come back, by its clock', async () => {
    let clock = 0;
    const sut = new WindowCounterStorage({ now: () => clock });
    for (let index = 0; index < 500; index++) {
      await sut.increment(`203.0.113.${index}`, 1_000, 10, 1_000, 'default');
    }
    // one key over its limit: blocked for 120 s, so kept past its 1 s window
    for (let hit = 0; hit < 3; hit++) await sut.increment('guesser', 1_000, 1, 120_000, 'default');
    expect(sut.size).toBe(501);
    clock = 60_000;
    vi.advanceTimersByTime(60_000);
    expect(sut.size).toBe(1);
    expect(await sut.increment('guesser', 1_000, 1, 120_000, 'default')).toMatchObject({
      isBlocked: true,
    });
    clock = 120_001;
    vi.advanceTimersByTime(60_000);
    expect(sut.size).toBe(0);
  });

  it('holds at most maxEntries keys, the least recently started going first', async () => {
    const sut = new WindowCounterStorage({ maxEntries: 1_000 });
    for (let index = 0; index < 5_000; index++) {
      await sut.increment(`key-${index}`, 60_000, 10, 60_000, 'default');
    }
    expect(sut.size).toBeLessThanOrEqual(1_000);
    expect(await sut.increment('key-4999', 60_000, 10, 60_000, 'default')).toMatchObject({
      totalHits: 2,
    });
    expect(await sut.increment('key-0', 60_000, 10, 60_000, 'default')).toMatchObject({
      totalHits: 1,
    });
  });
});
