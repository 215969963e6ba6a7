import { describe, expect, it } from 'vitest';
import { DatabaseStatus } from './database-status.js';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });

describe('DatabaseStatus.watch', () => {
  it('tells a watcher the state now and at each change, however it was found, until unwatched', () => {
    const sut = new DatabaseStatus();
    const seen: boolean[] = [];
    const unwatch = sut.watch((reachable) => seen.push(reachable));
    expect(seen).toEqual([true]);

    expect(sut.failed(refused())).toBe(true);
    expect(sut.failed(refused())).toBe(true); // the same outage: no second call
    sut.succeeded();
    sut.succeeded();
    sut.heard(false, 'ECONNRESET'); // found by the other thread
    sut.heard(true);
    expect(sut.failed(new Error('syntax error'))).toBe(false); // not an outage
    expect(seen).toEqual([true, false, true, false, true]);

    unwatch();
    sut.failed(refused());
    expect(seen).toHaveLength(5);
    expect(sut.reachable).toBe(false);
  });
});

describe('DatabaseStatus.failed', () => {
  it('takes a failure of an operation begun before the database was back as no news', () => {
    const sut = new DatabaseStatus();
    const seen: boolean[] = [];
    sut.watch((reachable) => seen.push(reachable));
    expect(sut.failed(refused())).toBe(true);
    const begunInTheOutage = performance.now();
    sut.heard(true); // the other thread found it back
    const late = refused();
    expect(sut.failed(late, begunInTheOutage)).toBe(true);
    expect(sut.failed(late)).toBe(true); // handed in again up the stack: noted once
    expect(sut.reachable).toBe(true);
    expect(seen).toEqual([true, false, true]);

    // an operation begun since then that fails is a new outage
    expect(sut.failed(refused(), performance.now())).toBe(true);
    expect(seen).toEqual([true, false, true, false]);
  });
});
