import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from './deadlines.js';

describe('Deadlines', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('aborts what is not done when its timeout runs out, in the order started', () => {
    const sut = new Deadlines(1000);
    const first = sut.start();
    vi.advanceTimersByTime(400);
    const second = sut.start();
    const third = sut.start();
    third.done();
    vi.advanceTimersByTime(599);
    expect(first.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(first.signal.aborted).toBe(true);
    expect(second.signal.aborted).toBe(false);
    vi.advanceTimersByTime(400);
    expect(second.signal.aborted).toBe(true);
    expect(third.signal.aborted).toBe(false);
  });

  it('keeps one timer however many attempts are in flight, and none once all are done', () => {
    const sut = new Deadlines(1000);
    const all = Array.from({ length: 5000 }, () => sut.start());
    expect(vi.getTimerCount()).toBe(1);
    for (const deadline of all) deadline.done();
    vi.advanceTimersByTime(1000);
    expect(vi.getTimerCount()).toBe(0);
    expect(all.some((deadline) => deadline.signal.aborted)).toBe(false);
  });
});
