/** What a lane holds: anything about one delivery, which says how many attempts it has had. */
export interface LaneEntry {
  delivery: { attempts: number };
}

/** What `pass` does with an entry it visits. */
export type Visit = 'started' | 'kept' | 'dropped';

/**
 * A worker's leased deliveries waiting for a slot, in two lanes: first attempts and retries (as
 * Hook0's and Convoy's priority lanes). Passes visit them the lanes taking turns, so a new event
 * starts within a slot or two of being leased even behind a backlog of retries, and each lane
 * gets at least half of the visits while both have work. Each lane keeps its own order, and
 * a worker holds one delivery per line at most (only a line's head is sendable), so the order
 * within a line is never at stake.
 */
export class ReadyLanes<T extends LaneEntry> {
  private fresh: T[] = [];
  private retries: T[] = [];
  /** The lane whose turn it is (0: first attempts), kept from one pass to the next. */
  private turn = 0;

  get length(): number {
    return this.fresh.length + this.retries.length;
  }

  push(entry: T): void {
    (entry.delivery.attempts === 0 ? this.fresh : this.retries).push(entry);
  }

  /** Empties both lanes; answers what they held. */
  takeAll(): T[] {
    const all = this.fresh.concat(this.retries);
    this.fresh = [];
    this.retries = [];
    return all;
  }

  /**
   * Visits entries while `more()` says so: a first attempt, then a retry, and so on (the turns
   * run on from the last pass), either lane alone once the other has none left. An entry `visit` keeps stays where it was; one it starts
   * or drops leaves its lane.
   */
  pass(visit: (entry: T) => Visit, more: () => boolean): void {
    const lanes = [
      { queue: this.fresh, next: 0, kept: [] as T[] },
      { queue: this.retries, next: 0, kept: [] as T[] },
    ];
    while (more()) {
      const own = lanes[this.turn];
      const index = own.next < own.queue.length ? this.turn : 1 - this.turn;
      const lane = lanes[index];
      if (lane.next >= lane.queue.length) break;
      const entry = lane.queue[lane.next++];
      if (visit(entry) === 'kept') lane.kept.push(entry);
      this.turn = 1 - index;
    }
    const [fresh, retries] = lanes.map((lane) =>
      lane.next === 0 ? lane.queue : lane.kept.concat(lane.queue.slice(lane.next)),
    );
    this.fresh = fresh;
    this.retries = retries;
  }
}
