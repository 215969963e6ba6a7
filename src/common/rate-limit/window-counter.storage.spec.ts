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
});
