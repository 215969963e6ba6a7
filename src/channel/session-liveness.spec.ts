import { describe, expect, it } from 'vitest';
import { StaleGrace, takeover } from './session-liveness.js';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const session = { lastSeenAt: at(0), heartbeatMs: 10_000, mediaServer: '10.0.0.1' };
const noStale = { afterMs: undefined, open: false };

describe('takeover', () => {
  it('lets the media server of the session take it over once it missed a heartbeat', () => {
    expect(takeover(session, '10.0.0.1', at(14.9), noStale)).toBe(false);
    expect(takeover(session, '10.0.0.1', at(15), noStale)).toBe('missed-heartbeat');
  });

  it('never on the same server without a heartbeat to miss (no updates yet, or none sent)', () => {
    expect(takeover({ ...session, heartbeatMs: null }, '10.0.0.1', at(3600), noStale)).toBe(false);
  });

  it('refuses another media server until the session is silent past INGEST_STALE_AFTER', () => {
    const stale = { afterMs: 30_000, open: true };
    expect(takeover(session, '10.0.0.2', at(29), stale)).toBe(false);
    expect(takeover(session, '10.0.0.2', at(30), stale)).toBe('silent-past-stale');
    expect(takeover(session, undefined, at(30), stale)).toBe('silent-past-stale');
  });

  it('does not count silence while the stale check is in its grace', () => {
    expect(takeover(session, '10.0.0.2', at(300), { afterMs: 30_000, open: false })).toBe(false);
  });

  it('knows nothing of a session never heard from (rows from before last_seen_at)', () => {
    const unknown = { lastSeenAt: null, heartbeatMs: null, mediaServer: null };
    expect(takeover(unknown, '10.0.0.1', at(300), { afterMs: 1, open: true })).toBe(false);
  });
});

describe('StaleGrace', () => {
  it('opens once the service has been up with its database for INGEST_STALE_AFTER', () => {
    const sut = new StaleGrace(30_000);
    expect(sut.open(0)).toBe(false);
    sut.observe(true, 1_000);
    sut.observe(true, 20_000);
    expect(sut.open(30_999)).toBe(false);
    expect(sut.open(31_000)).toBe(true);
  });

  it('starts again after the database was unreachable', () => {
    const sut = new StaleGrace(30_000);
    sut.observe(true, 0);
    sut.observe(false, 40_000);
    expect(sut.open(40_000)).toBe(false);
    sut.observe(true, 41_000);
    expect(sut.open(70_999)).toBe(false);
    expect(sut.open(71_000)).toBe(true);
  });

  it('never opens without INGEST_STALE_AFTER', () => {
    const sut = new StaleGrace(undefined);
    sut.observe(true, 0);
    expect(sut.open(Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});
