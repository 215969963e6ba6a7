/**
 * Whether a live session's publisher is known to be gone, from what the service heard of it. The
 * decisions take their inputs and clock as arguments; the lifecycle and the expiry scan apply them.
 */

/** A heartbeat this many intervals late is a missed one (timers and round trips jitter). */
export const MISSED_HEARTBEAT_FACTOR = 1.5;

/** What the service knows of a live session's media server. */
export interface HeardSession {
  /** The last hook of its media server for it (publish or update), by the database's clock. */
  lastSeenAt: Date | null | undefined;
  /** The gap between its last two hooks: its media server's update interval. */
  heartbeatMs: number | null | undefined;
  /** The address of the media server that published it (the hook caller's). */
  mediaServer: string | null | undefined;
}

/** Why a publish for a channel still believed live may take it over, or false when it may not. */
export type Takeover = 'silent-past-stale' | 'missed-heartbeat' | false;

/**
 * A publish for a live channel takes it over when the old session's publisher is known to be
 * gone: it has been silent past INGEST_STALE_AFTER (counted only while the stale check is open),
 * or the media server that published it asks again and the session has missed its heartbeat.
 * A media server may ask `on_publish` before it checks its own publishers (nginx-rtmp does), so the
 * same server asking is no proof by itself: a second encoder on a live key asks too, and is then
 * refused by the media server. Its heartbeat is the proof that the old publisher is still there.
 */
export function takeover(
  session: HeardSession,
  caller: string | undefined,
  now: Date,
  stale: { afterMs: number | undefined; open: boolean },
): Takeover {
  if (!session.lastSeenAt) return false;
  const silentMs = now.getTime() - session.lastSeenAt.getTime();
  if (stale.open && stale.afterMs !== undefined && silentMs >= stale.afterMs) {
    return 'silent-past-stale';
  }
  if (
    caller !== undefined &&
    caller === session.mediaServer &&
    typeof session.heartbeatMs === 'number' &&
    session.heartbeatMs > 0 &&
    silentMs >= session.heartbeatMs * MISSED_HEARTBEAT_FACTOR
  ) {
    return 'missed-heartbeat';
  }
  return false;
}

/**
 * When silence starts to count: once the service has been up, with its database reachable, for
 * INGEST_STALE_AFTER. Before that, a publisher's silence may be the service's own absence (its
 * updates went unanswered), so no one is stopped or taken over for it. Times are this process's
 * monotonic milliseconds.
 */
export class StaleGrace {
  private healthySince: number | undefined;

  /** INGEST_STALE_AFTER; undefined: silence never counts. */
  constructor(readonly afterMs: number | undefined) {}

  /** Notes whether the database answered at `nowMs`; an outage starts the grace again. */
  observe(reachable: boolean, nowMs: number): void {
    if (!reachable) this.healthySince = undefined;
    else this.healthySince ??= nowMs;
  }

  /** Whether silence counts at `nowMs`. */
  open(nowMs: number): boolean {
    return (
      this.afterMs !== undefined &&
      this.healthySince !== undefined &&
      nowMs - this.healthySince >= this.afterMs
    );
  }
}
