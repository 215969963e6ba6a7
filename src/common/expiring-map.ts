/** Entries a map keyed by callers holds at most, unless told otherwise. */
export const MAX_ENTRIES = 100_000;
const SWEEP_EVERY_MS = 60_000;

export interface ExpiringMapOptions {
  /** Past this many entries, the least recently set go first. */
  maxEntries?: number;
  /** How often expired entries are swept out. */
  sweepEveryMs?: number;
  /** The clock, in ms. */
  now?: () => number;
}

/**
 * A map whose entries expire, for state kept per caller (an address, a key): an expired entry is
 * never answered, expired entries are swept out now and then (no timer runs while the map is
 * empty), and past `maxEntries` the least recently set entries are dropped (down to nine tenths
 * of it), so callers that never come back, or a flood of new ones, cannot grow it without end.
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly sweepEveryMs: number;
  readonly now: () => number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: ExpiringMapOptions = {}) {
    this.maxEntries = options.maxEntries ?? MAX_ENTRIES;
    this.sweepEveryMs = options.sweepEveryMs ?? SWEEP_EVERY_MS;
    this.now = options.now ?? (() => Date.now());
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Sets `key` until `expiresAt` (ms, by this map's clock), as the most recent entry. */
  set(key: string, value: V, expiresAt: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt });
    if (this.entries.size > this.maxEntries) {
      // A tenth at a time: walking from the oldest costs one pass per many insertions.
      const keep = Math.floor(this.maxEntries * 0.9);
      for (const oldest of this.entries.keys()) {
        if (this.entries.size <= keep) break;
        this.entries.delete(oldest);
      }
    }
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), this.sweepEveryMs);
      this.sweeper.unref();
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every expired entry; answers how many. */
  sweep(): number {
    const now = this.now();
    let swept = 0;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(key);
        swept++;
      }
    }
    if (this.entries.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
    return swept;
  }
}
