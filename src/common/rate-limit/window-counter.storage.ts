import type { ThrottlerStorage } from '@nestjs/throttler';
import { ExpiringMap, type ExpiringMapOptions } from '../expiring-map.js';

interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

interface Window {
  hits: number;
  endsAt: number;
  blockedUntil: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * The rate limits' counters in this process: one counter per key and window, so a request costs
 * the same whatever the limit. (The throttler's own storage keeps a timestamp per hit and filters
 * them on every request: its cost grows with the limit.) Past the limit a key is blocked for the
 * block duration. A key's window is kept until it ends (and its block with it): windows that ended
 * are swept out now and then, and past 100,000 keys the least recently started go first, so keys
 * that never come back (a scan from many addresses) cannot grow it without end.
 */
export class WindowCounterStorage implements ThrottlerStorage {
  private readonly windows: ExpiringMap<Window>;

  constructor(options: ExpiringMapOptions = {}) {
    this.windows = new ExpiringMap(options);
  }

  /** Keys held now. */
  get size(): number {
    return this.windows.size;
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = this.windows.now();
    const id = `${throttlerName}\u0000${key}`;
    let window = this.windows.get(id);
    if (!window) {
      window = { hits: 0, endsAt: now + ttl, blockedUntil: 0 };
      this.windows.set(id, window, window.endsAt);
    }
    if (window.blockedUntil <= now) {
      window.hits++;
      if (window.hits > limit) {
        window.blockedUntil = now + blockDuration;
        this.windows.set(id, window, Math.max(window.endsAt, window.blockedUntil));
      }
    }
    const isBlocked = window.blockedUntil > now;
    return Promise.resolve({
      totalHits: window.hits,
      timeToExpire: seconds(window.endsAt - now),
      isBlocked,
      timeToBlockExpire: isBlocked ? seconds(window.blockedUntil - now) : 0,
    });
  }
}
