import { describe, expect, it } from 'vitest';
import { type SlotRules, SlotScheduler } from './slot-scheduler.js';

function scheduler(rates: Record<string, number> = {}, rules: Partial<SlotRules> = {}) {
  const clock = { ms: 10_000 };
  const sut = new SlotScheduler({
    perWebhook: 3,
    readyFactor: 4,
    breakerAfter: 3,
    rateLimit: (id) => rates[id] ?? null,
    now: () => clock.ms,
    ...rules,
  });
  return { sut, clock };
}

/** Starts attempts to a webhook while it has a free slot; answers how many started. */
function startAll(sut: SlotScheduler, webhookId: string): number {
  let started = 0;
  while (sut.hasSlot(webhookId) && started < 100) {
    sut.started(webhookId);
    started++;
  }
  return started;
}

describe('SlotScheduler', () => {
  it('gives a webhook at most its slots, and a slot back when an attempt ends', () => {
    const { sut } = scheduler();
    expect(startAll(sut, 'a')).toBe(3);
    expect(sut.hasSlot('b')).toBe(true);
    sut.finished('a');
    expect(sut.hasSlot('a')).toBe(true);
  });

  it('drops a webhook to one slot after failures in a row, back to all on a success', () => {
    const { sut } = scheduler();
    sut.answered('a', false);
    sut.answered('a', false);
    expect(sut.limitOf('a')).toBe(3);
    sut.answered('a', false);
    expect(sut.limitOf('a')).toBe(1);
    expect(startAll(sut, 'a')).toBe(1);
    expect(sut.limitOf('b')).toBe(3);
    sut.answered('a', true);
    expect(sut.limitOf('a')).toBe(3);
  });

  it('counts failures in a row only: a success in between starts the count again', () => {
    const { sut } = scheduler();
    sut.answered('a', false);
    sut.answered('a', false);
    sut.answered('a', true);
    sut.answered('a', false);
    sut.answered('a', false);
    expect(sut.limitOf('a')).toBe(3);
  });

  it('holds enough of a webhook at its slots times the ready factor, in flight and ready', () => {
    const { sut } = scheduler();
    startAll(sut, 'a');
    for (let i = 0; i < 8; i++) sut.readied('a');
    expect(sut.holdsEnough('a')).toBe(false);
    sut.readied('a');
    expect(sut.holdsEnough('a')).toBe(true);
    expect(sut.heldEnough()).toEqual(['a']);
    sut.unreadied('a');
    expect(sut.holdsEnough('a')).toBe(false);
    expect(sut.heldEnough()).toEqual([]);
  });

  it('holds less of a webhook behind its breaker, and a second of a rate-limited one', () => {
    const { sut } = scheduler({ slow: 2 });
    for (let i = 0; i < 3; i++) sut.answered('dead', false);
    for (let i = 0; i < 4; i++) sut.readied('dead');
    sut.readied('slow');
    expect(sut.heldEnough()).toEqual(['dead']);
    sut.readied('slow');
    expect(sut.heldEnough()).toEqual(['dead', 'slow']);
  });

  it('paces a rate-limited webhook: one turn per 1/rate seconds, by the clock passed in', () => {
    const { sut, clock } = scheduler({ a: 4 });
    expect(sut.takeTurn('a')).toBeUndefined();
    expect(sut.takeTurn('a')).toBe(10_250);
    clock.ms = 10_249;
    expect(sut.takeTurn('a')).toBe(10_250);
    clock.ms = 10_250;
    expect(sut.takeTurn('a')).toBeUndefined();
    expect(sut.takeTurn('a', 10_400)).toBe(10_500);
  });

  it('keeps no turns after a pause: a late turn paces from now', () => {
    const { sut, clock } = scheduler({ a: 10 });
    expect(sut.takeTurn('a')).toBeUndefined();
    clock.ms += 5_000;
    expect(sut.takeTurn('a')).toBeUndefined();
    expect(sut.takeTurn('a')).toBe(clock.ms + 100);
  });

  it('never paces a webhook without a rate limit', () => {
    const { sut } = scheduler();
    for (let i = 0; i < 10; i++) expect(sut.takeTurn('a')).toBeUndefined();
  });
});
