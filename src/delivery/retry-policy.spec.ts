import { describe, expect, it } from 'vitest';
import { parseRetryAfter, RetryPolicy } from './retry-policy.js';

const now = new Date('2026-11-27T10:00:00.000Z');
const schedule = [5_000, 300_000, 1_800_000];

describe('RetryPolicy', () => {
  const sut = new RetryPolicy({ scheduleMs: schedule, jitter: 0 });

  it('allows 1 + the schedule length attempts', () => {
    expect(sut.maxAttempts).toBe(4);
  });

  it('succeeds on any 2xx', () => {
    for (const statusCode of [200, 201, 204, 299]) {
      expect(sut.decide({ statusCode, attempts: 1, maxAttempts: 4, now })).toEqual({
        kind: 'succeeded',
      });
    }
  });

  it('waits the scheduled time before each retry, then gives up', () => {
    expect(sut.decide({ statusCode: 500, attempts: 1, maxAttempts: 4, now })).toEqual({
      kind: 'retry',
      waitMs: 5_000,
    });
    expect(sut.decide({ statusCode: null, attempts: 2, maxAttempts: 4, now })).toEqual({
      kind: 'retry',
      waitMs: 300_000,
    });
    expect(sut.decide({ statusCode: 302, attempts: 3, maxAttempts: 4, now })).toEqual({
      kind: 'retry',
      waitMs: 1_800_000,
    });
    expect(sut.decide({ statusCode: 500, attempts: 4, maxAttempts: 4, now })).toEqual({
      kind: 'dead',
    });
  });

  it('treats 410 as gone at once', () => {
    expect(sut.decide({ statusCode: 410, attempts: 1, maxAttempts: 4, now })).toEqual({
      kind: 'gone',
    });
  });

  it('honours Retry-After on 429 and 503 within the schedule bounds, not on other codes', () => {
    const at = (retryAfter: string, statusCode = 429) =>
      (
        sut.decide({ statusCode, attempts: 1, maxAttempts: 4, now, retryAfter }) as {
          waitMs: number;
        }
      ).waitMs;
    expect(at('60')).toBe(60_000);
    expect(at('60', 503)).toBe(60_000);
    expect(at('60', 500)).toBe(5_000);
    expect(at('0')).toBe(5_000);
    expect(at('999999')).toBe(1_800_000);
    expect(at(new Date(now.getTime() + 120_000).toUTCString())).toBe(120_000);
    expect(at('soon')).toBe(5_000);
  });

  it('applies ± jitter', () => {
    const low = new RetryPolicy({ scheduleMs: [10_000], jitter: 0.2, random: () => 0 });
    const high = new RetryPolicy({ scheduleMs: [10_000], jitter: 0.2, random: () => 0.999999 });
    const wait = (policy: RetryPolicy) =>
      (policy.decide({ statusCode: 500, attempts: 1, maxAttempts: 2, now }) as { waitMs: number })
        .waitMs;
    expect(wait(low)).toBe(8_000);
    expect(wait(high)).toBe(12_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 27 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});
