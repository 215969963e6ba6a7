import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type PendingHook, PendingHooks, type PendingHooksOptions } from './pending-hooks.js';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const away = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/** A database that is away until `back()`, recording what was applied and which batch it was in. */
function setup(options: Partial<PendingHooksOptions> = {}) {
  let reachable = false;
  let batch = 0;
  let scheduled = false;
  const applied: (PendingHook & { batch: number })[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  const sut = new PendingHooks({
    apply: (hook) => {
      // Hooks started in one turn share a batch, as the lifecycle's transaction would hold them.
      if (!scheduled) {
        scheduled = true;
        batch++;
        queueMicrotask(() => (scheduled = false));
      }
      if (!reachable) return Promise.reject(away);
      applied.push({ ...hook, batch });
      return Promise.resolve();
    },
    transient: (error) => error === away,
    limit: 100,
    retryMs: 1000,
    logger: {
      warn: (message) => warnings.push(message),
      error: (message) => errors.push(message),
    },
    ...options,
  });
  return {
    sut,
    applied,
    warnings,
    errors,
    back: () => (reachable = true),
    goAway: () => (reachable = false),
  };
}

const stop = (streamKey: string, seconds: number): PendingHook => ({
  kind: 'unpublish',
  streamKey,
  heardAt: at(seconds),
});
const update = (streamKey: string, seconds: number): PendingHook => ({
  kind: 'update',
  streamKey,
  heardAt: at(seconds),
});
const summary = (hooks: PendingHook[]) =>
  hooks.map((hook) => `${hook.kind} ${hook.streamKey} @${(hook.heardAt.getTime() - T0) / 1000}`);

describe('PendingHooks', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('keeps hooks while the database is away and applies them in arrival order, as of when they were heard', async () => {
    const { sut, applied, back } = setup();
    sut.keep(stop('a', 1));
    sut.keep(update('b', 2));
    sut.keep(stop('c', 3));
    expect(await sut.flush()).toBe(away);
    expect(sut.size).toBe(3);
    expect(applied).toEqual([]);

    back();
    expect(await sut.flush()).toBeUndefined();
    expect(summary(applied)).toEqual(['unpublish a @1', 'update b @2', 'unpublish c @3']);
    expect(sut.size).toBe(0);
    expect(sut.has('a')).toBe(false);
  });

  it('applies one key’s hooks one after another, and different keys’ together', async () => {
    const { sut, applied, back } = setup();
    sut.keep(stop('a', 1));
    sut.keep(stop('b', 2));
    sut.keep(update('a', 3));
    sut.keep(stop('a', 4));
    back();
    await sut.flush();
    expect(applied.map((hook) => [hook.streamKey, hook.kind, hook.batch])).toEqual([
      ['a', 'unpublish', 1],
      ['b', 'unpublish', 1],
      ['a', 'update', 2],
      ['a', 'unpublish', 3],
    ]);
  });

  it('tries again on its own every retryMs until the database is back', async () => {
    const { sut, applied, back } = setup();
    sut.keep(stop('a', 1));
    await vi.advanceTimersByTimeAsync(3500);
    expect(applied).toEqual([]);
    expect(sut.size).toBe(1);
    back();
    await vi.advanceTimersByTimeAsync(1000);
    expect(summary(applied)).toEqual(['unpublish a @1']);
    expect(sut.size).toBe(0);
    // nothing left: no more tries
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps a run of updates of one key as the latest, but never folds one into a stop', async () => {
    const { sut, applied, back } = setup();
    sut.keep(update('a', 1));
    sut.keep(update('a', 2));
    sut.keep(update('b', 2));
    sut.keep(update('a', 3));
    sut.keep(stop('a', 4));
    sut.keep(update('a', 5));
    sut.keep(update('a', 6));
    expect(sut.size).toBe(4);
    back();
    await sut.flush();
    expect(summary(applied)).toEqual([
      'update a @3',
      'update b @2',
      'unpublish a @4',
      'update a @6',
    ]);
  });

  it('keeps updates heard while one of the same key is being applied as a hook of their own', async () => {
    let release: () => void = () => undefined;
    const applied: string[] = [];
    const sut = new PendingHooks({
      apply: (hook) =>
        new Promise<void>((resolve) => {
          release = () => {
            applied.push(summary([hook])[0]);
            resolve();
          };
        }),
      transient: () => true,
      limit: 10,
      retryMs: 1000,
      logger: { warn: () => undefined, error: () => undefined },
    });
    sut.keep(update('a', 1));
    const flushed = sut.flush();
    await Promise.resolve();
    sut.keep(update('a', 2)); // the first is on its way: this one must not be lost in it
    release();
    await vi.advanceTimersByTimeAsync(0);
    release();
    await flushed;
    expect(applied).toEqual(['update a @1', 'update a @2']);
  });

  it('settles a key: fails as the database does while it is away, then applies that key’s hooks first', async () => {
    const { sut, applied, back } = setup();
    sut.keep(stop('a', 1));
    await expect(sut.settle('a')).rejects.toBe(away);
    await expect(sut.settle('other')).resolves.toBeUndefined();
    back();
    await sut.settle('a');
    expect(summary(applied)).toEqual(['unpublish a @1']);
  });

  it('says once when it starts keeping and once when it has applied them, nothing per hook', async () => {
    const { sut, warnings, back } = setup();
    for (let i = 0; i < 20; i++) sut.keep(stop(`k${i}`, i));
    await sut.flush();
    await sut.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/kept in memory and applied in order when the database is back/);
    back();
    await sut.flush();
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toBe('Applied 20 ingest hook(s) kept while the database was unreachable');
  });

  it('keeps at most `limit` hooks, says so once, and counts what was lost', async () => {
    const { sut, errors, warnings, back } = setup({ limit: 3 });
    expect([1, 2, 3, 4, 5].map((i) => sut.keep(stop(`k${i}`, i)))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(sut.size).toBe(3);
    expect(errors).toEqual([
      "3 ingest hooks are already kept for the database's return: further stops and updates heard before it is back are lost",
    ]);
    back();
    await sut.flush();
    expect(warnings[1]).toBe(
      'Applied 3 ingest hook(s) kept while the database was unreachable; 2 lost past the limit',
    );
    expect(sut.keep(stop('k6', 6))).toBe(true);
  });

  it('drops a hook that fails for another reason than the database being away, and says so', async () => {
    const broken = new Error('no such column');
    const applied: string[] = [];
    const errors: string[] = [];
    const sut = new PendingHooks({
      apply: (hook) => {
        if (hook.streamKey === 'bad') return Promise.reject(broken);
        applied.push(hook.streamKey);
        return Promise.resolve();
      },
      transient: (error) => error === away,
      limit: 10,
      retryMs: 1000,
      logger: { warn: () => undefined, error: (message) => errors.push(message) },
    });
    sut.keep(stop('bad', 1));
    sut.keep(stop('good', 2));
    expect(await sut.flush()).toBeUndefined();
    expect(applied).toEqual(['good']);
    expect(errors).toEqual([
      'A kept unpublish hook could not be applied and is dropped: no such column',
    ]);
    expect(sut.size).toBe(0);
  });

  it('keeps what failed in its place when the database goes away again mid-way', async () => {
    let calls = 0;
    const applied: string[] = [];
    const sut = new PendingHooks({
      apply: (hook) => {
        // the first batch lands, then the database goes away
        if (calls++ >= 1) return Promise.reject(away);
        applied.push(hook.streamKey);
        return Promise.resolve();
      },
      transient: (error) => error === away,
      limit: 10,
      retryMs: 1000,
      logger: { warn: () => undefined, error: () => undefined },
    });
    sut.keep(stop('a', 1));
    sut.keep(update('a', 2));
    sut.keep(stop('a', 3));
    expect(await sut.flush()).toBe(away);
    expect(applied).toEqual(['a']);
    expect(sut.size).toBe(2);
    expect(sut.has('a')).toBe(true);
  });

  it('stops trying once closed', async () => {
    const { sut, applied, back } = setup();
    sut.keep(stop('a', 1));
    sut.close();
    back();
    await vi.advanceTimersByTimeAsync(5000);
    expect(applied).toEqual([]);
  });
});
