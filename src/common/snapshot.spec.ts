import { describe, expect, it } from 'vitest';
import { Snapshot } from './snapshot.js';

/** A reading that the test settles by hand, and a clock the test moves. */
function fixture() {
  let clock = 0;
  const pending: { resolve: (value: number) => void; reject: (error: Error) => void }[] = [];
  let reads = 0;
  const sut = new Snapshot<number>(
    1000,
    () =>
      new Promise<number>((resolve, reject) => {
        reads++;
        pending.push({ resolve, reject });
      }),
    () => clock,
  );
  return {
    sut,
    reads: () => reads,
    settle: (value: number | Error) => {
      const next = pending.shift()!;
      if (value instanceof Error) next.reject(value);
      else next.resolve(value);
    },
    advance: (ms: number) => (clock += ms),
  };
}

describe('Snapshot', () => {
  it('shares one reading among callers while it is under way', async () => {
    const { sut, reads, settle } = fixture();
    const answers = Promise.all(Array.from({ length: 50 }, () => sut.get()));
    expect(reads()).toBe(1);
    settle(7);
    expect(await answers).toEqual(Array.from({ length: 50 }, () => 7));
  });

  it('answers from the last reading until it is maxAgeMs old, then reads again', async () => {
    const { sut, reads, settle, advance } = fixture();
    const first = sut.get();
    settle(1);
    await first;
    advance(999);
    expect(await sut.get()).toBe(1);
    expect(reads()).toBe(1);
    advance(1);
    const second = sut.get();
    expect(reads()).toBe(2);
    settle(2);
    expect(await second).toBe(2);
  });

  it('measures the age from when the reading began, so a slow one is not kept longer', async () => {
    const { sut, reads, settle, advance } = fixture();
    const first = sut.get();
    advance(900);
    settle(1);
    await first;
    advance(100);
    void sut.get();
    expect(reads()).toBe(2);
  });

  it('shares a failure as it shares a value, and reads again once it is old', async () => {
    const { sut, reads, settle, advance } = fixture();
    const first = sut.get();
    settle(new Error('database unreachable'));
    await expect(first).rejects.toThrow('database unreachable');
    await expect(sut.get()).rejects.toThrow('database unreachable');
    expect(reads()).toBe(1);
    advance(1000);
    const next = sut.get();
    settle(3);
    expect(await next).toBe(3);
  });
});
