import { describe, expect, it } from 'vitest';
import { ReadyLanes, type Visit } from './ready-lanes.js';

interface Entry {
  name: string;
  delivery: { attempts: number };
}

const entry = (name: string, attempts: number): Entry => ({ name, delivery: { attempts } });

/** Starts up to `slots` entries, keeping those `blocked` names; answers the names started. */
function startSome(lanes: ReadyLanes<Entry>, slots: number, blocked = new Set<string>()) {
  const started: string[] = [];
  lanes.pass(
    (item): Visit => {
      if (blocked.has(item.name)) return 'kept';
      started.push(item.name);
      return 'started';
    },
    () => started.length < slots,
  );
  return started;
}

describe('ReadyLanes', () => {
  it('starts a first attempt ahead of the retries already waiting', () => {
    const lanes = new ReadyLanes<Entry>();
    for (let i = 1; i <= 5; i++) lanes.push(entry(`retry${i}`, 2));
    lanes.push(entry('new', 0));
    expect(startSome(lanes, 1)).toEqual(['new']);
    expect(lanes.length).toBe(5);
  });

  it('takes turns while both lanes have work, each in its own order, and the turns run on across passes', () => {
    const lanes = new ReadyLanes<Entry>();
    for (let i = 1; i <= 3; i++) lanes.push(entry(`retry${i}`, 1));
    for (let i = 1; i <= 3; i++) lanes.push(entry(`new${i}`, 0));
    expect(startSome(lanes, 1)).toEqual(['new1']);
    expect(startSome(lanes, 1)).toEqual(['retry1']);
    expect(startSome(lanes, 3)).toEqual(['new2', 'retry2', 'new3']);
    expect(startSome(lanes, 5)).toEqual(['retry3']);
    expect(lanes.length).toBe(0);
  });

  it('keeps a blocked entry in its place and goes on past it', () => {
    const lanes = new ReadyLanes<Entry>();
    lanes.push(entry('newA', 0));
    lanes.push(entry('newB', 0));
    lanes.push(entry('retry', 3));
    expect(startSome(lanes, 5, new Set(['newA']))).toEqual(['retry', 'newB']);
    expect(startSome(lanes, 5)).toEqual(['newA']);
  });

  it('lets go of a dropped entry and gives back everything it holds', () => {
    const lanes = new ReadyLanes<Entry>();
    lanes.push(entry('stale', 0));
    lanes.push(entry('retry', 1));
    lanes.push(entry('new', 0));
    lanes.pass(
      (item): Visit => (item.name === 'stale' ? 'dropped' : 'kept'),
      () => true,
    );
    expect(lanes.takeAll().map((item) => item.name)).toEqual(['new', 'retry']);
    expect(lanes.length).toBe(0);
  });
});
