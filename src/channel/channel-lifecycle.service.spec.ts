import type { EntityManager } from 'typeorm';
import { Deferred, type Pipeline } from '../database/pipeline.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type {
  ChannelEventRepository,
  NewChannelEvent,
} from '../channel-events/channel-event.repository.js';
import type { ChannelEventBus, ChannelEventRecorded } from '../channel-events/channel-events.js';
import { DomainError, ErrorCode } from '../common/errors.js';
import type { Transactions } from '../database/transactions.js';
import type { ChannelMetrics } from './channel.metrics.js';
import { ChannelEntity } from './channel.entity.js';
import type { ChannelRepository, SavedTransition } from './channel.repository.js';
import { ChannelLifecycleService } from './channel-lifecycle.service.js';
import { StaleGrace } from './session-liveness.js';

const T0 = new Date('2026-11-27T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** The repository's methods the service calls: the fake is checked against their signatures. */
type ChannelTable = Pick<
  ChannelRepository,
  'lockByStreamKeys' | 'saveTransitions' | 'lockDueStopped' | 'lockStaleLive' | 'touch'
>;

/** The channel table's interface over one row; transitions honour their guard as SQL would. */
class OneChannel implements ChannelTable {
  row: ChannelEntity = Object.assign(new ChannelEntity(), {
    id: '42',
    name: 'Morning show',
    description: null,
    status: 'idle',
    reconnectWindow: 30,
    streamKey: 'key',
    sessionStreamKey: null,
    sessionId: null,
    liveAt: null,
    stoppedAt: null,
    endedAt: null,
    endDueAt: null,
    eventSequence: 0,
    createdAt: T0,
    updatedAt: T0,
  });

  /** The database's clock, as the fake has it. */
  now = T0;

  lockByStreamKeys(_tx: Pipeline, keys: string[]) {
    const key = [this.row.streamKey, this.row.sessionStreamKey].find((k) => k && keys.includes(k));
    const found = key === this.row.streamKey ? [[key, { ...this.row }]] : [];
    const bySession = key && key === this.row.sessionStreamKey ? [[key, { ...this.row }]] : [];
    return Promise.resolve({
      channels: {
        byKey: new Map(found as [string, ChannelEntity][]),
        bySessionKey: new Map(bySession as [string, ChannelEntity][]),
      },
      now: this.now,
    });
  }
  saveTransitions(_tx: Pipeline, transitions: SavedTransition[]) {
    for (const { channel, from } of transitions) {
      if (channel.id !== this.row.id || this.row.status !== from) throw new Error('changed');
      Object.assign(this.row, channel);
    }
    return Promise.resolve();
  }
  lockDueStopped(_tx: Pipeline, _limit: number, asOf = this.now) {
    const due = this.row.status === 'stopped' && this.row.endDueAt! <= asOf;
    return Promise.resolve({ channels: due ? [{ ...this.row }] : [], now: asOf });
  }
  lockStaleLive(_tx: Pipeline, silentMs: number, _limit: number, asOf = this.now) {
    const stale =
      this.row.status === 'live' && this.row.lastSeenAt!.getTime() <= asOf.getTime() - silentMs;
    return Promise.resolve({ channels: stale ? [{ ...this.row }] : [], now: asOf });
  }
  touch(streamKey: string, heardAt = this.now) {
    const live = this.row.status === 'live' && streamKey === this.row.streamKey;
    if (live) {
      this.row.heartbeatMs = heardAt.getTime() - this.row.lastSeenAt!.getTime();
      this.row.lastSeenAt = heardAt;
    }
    return Promise.resolve(live);
  }
}

function setup(staleAfterMs?: number) {
  const channel = new OneChannel();
  const grace = new StaleGrace(staleAfterMs);
  grace.observe(true, -Infinity); // up long enough: silence counts
  const recorded: NewChannelEvent[] = [];
  const emitted: ChannelEventRecorded[] = [];
  let committed = 0;
  const outbox: Pick<ChannelEventRepository, 'append'> = {
    append: (_tx: Pipeline, events: NewChannelEvent[]) => {
      recorded.push(...events);
      return Deferred.of(events.map((_, i) => String(recorded.length - events.length + i + 1)));
    },
  };
  // The repositories are fakes: the pipeline only has to commit.
  const pipeline = { commit: () => Promise.resolve(void committed++) };
  const transactions = {
    pipeline: <T>(work: (tx: typeof pipeline) => Promise<T>) => work(pipeline),
    statement: <T>(work: () => Promise<T>) => work(),
    gathered: () => Promise.resolve(),
  };
  const bus: Pick<ChannelEventBus, 'emit'> = {
    emit: (_name: string, event: ChannelEventRecorded) => {
      // an event is emitted only once its transaction is committed
      expect(committed).toBeGreaterThan(0);
      emitted.push(event);
    },
  };
  const table: ChannelTable = channel;
  const metrics: { events: Pick<ChannelMetrics['events'], 'inc'> } = {
    events: { inc: () => undefined },
  };
  const sut = new ChannelLifecycleService(
    // the pipeline it hands out only commits: the repositories that would write through it are fakes
    transactions satisfies Pick<Transactions, 'statement' | 'gathered'> as Transactions,
    table as ChannelRepository,
    outbox as ChannelEventRepository,
    bus as ChannelEventBus,
    metrics as ChannelMetrics,
    grace,
  );
  return { sut, channel, recorded, emitted, commits: () => committed };
}

describe('ChannelLifecycleService', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => (s = setup()));

  it('goes live with a new session and records the channel as GET shows it, never the key', async () => {
    expect((await s.sut.publish('key', { at: at(0) })).outcome).toBe('live');
    expect(s.channel.row).toMatchObject({ status: 'live', liveAt: at(0) });
    expect(s.channel.row.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const body = JSON.parse(s.recorded[0].body) as Record<string, unknown>;
    expect(body).toMatchObject({ event: 'channel_live', eventTime: at(0).getTime(), id: '42' });
    expect(body).not.toHaveProperty('streamKey');
    expect(s.emitted.map((event) => event.name)).toEqual(['channel_live']);
  });

  it("numbers the channel's events 1, 2, 3… in their bodies, the outbox rows and the row", async () => {
    await s.sut.publish('key', { at: at(0) });
    await Promise.all([s.sut.unpublish('key', at(1)), s.sut.publish('key', { at: at(2) })]);
    await s.sut.unpublish('key', at(3));
    const sequences = s.recorded.map((event) => [
      event.sequence,
      (JSON.parse(event.body) as { sequence: number }).sequence,
    ]);
    expect(sequences).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
    expect(Object.keys(JSON.parse(s.recorded[0].body) as object).slice(0, 4)).toEqual([
      'event',
      'eventTime',
      'sequence',
      'id',
    ]);
    expect(s.channel.row.eventSequence).toBe(4);
  });

  it('applies hooks that arrive together in arrival order, in one transaction', async () => {
    const [live, again, stopped] = await Promise.all([
      s.sut.publish('key', { at: at(0) }),
      s.sut.publish('key', { at: at(1) }),
      s.sut.unpublish('key', at(2)),
    ]);
    expect([live.outcome, again.outcome, stopped.outcome]).toEqual([
      'live',
      'already-live',
      'stopped',
    ]);
    expect(live.events.map((event) => event.name)).toEqual(['channel_live']);
    expect(stopped.events.map((event) => event.name)).toEqual(['channel_stop']);
    expect(s.commits()).toBe(1);
  });

  it('applies a hook queued by the caller of the last one as soon as that one is answered', async () => {
    // e.g. hooks kept during an outage, applied one after another: nothing else wakes the queue
    const stopped = await s.sut
      .publish('key', { at: at(0) })
      .then(() => s.sut.unpublish('key', at(1)))
      .then(() => s.sut.unpublish('key', at(2)));
    expect(stopped.outcome).toBe('not-live');
    expect(s.channel.row.status).toBe('stopped');
  });

  it('refuses an unknown key and a second publish, recording nothing', async () => {
    expect((await s.sut.publish('nope', { at: at(0) })).outcome).toBe('unknown-key');
    await s.sut.publish('key', { at: at(0) });
    expect((await s.sut.publish('key', { at: at(1) })).outcome).toBe('already-live');
    expect(s.recorded).toHaveLength(1);
  });

  it('stops, and a publisher back within the window keeps the session', async () => {
    await s.sut.publish('key', { at: at(0) });
    const session = s.channel.row.sessionId;
    expect((await s.sut.unpublish('key', at(10))).outcome).toBe('stopped');
    expect(s.channel.row.endDueAt).toEqual(at(40));
    await s.sut.publish('key', { at: at(20) });
    expect(s.channel.row).toMatchObject({ status: 'live', sessionId: session, liveAt: at(0) });
    expect(s.recorded.map((event) => event.name)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_live',
    ]);
  });

  it('ends a session whose window ran out before the publisher came back, at its due time', async () => {
    await s.sut.publish('key', { at: at(0) });
    const session = s.channel.row.sessionId;
    await s.sut.unpublish('key', at(10));
    await s.sut.publish('key', { at: at(60) });
    expect(s.recorded.map((event) => [event.name, event.eventTime])).toEqual([
      ['channel_live', at(0).getTime()],
      ['channel_stop', at(10).getTime()],
      ['channel_ended', at(40).getTime()],
      ['channel_live', at(60).getTime()],
    ]);
    expect(s.channel.row.sessionId).not.toBe(session);
  });

  it('ignores an unpublish of a channel that is not live', async () => {
    expect((await s.sut.unpublish('key', at(0))).outcome).toBe('not-live');
    expect(s.recorded).toHaveLength(0);
  });

  it('expires due windows with eventTime = when they fell due', async () => {
    await s.sut.publish('key', { at: at(0) });
    await s.sut.unpublish('key', at(10));
    expect(await s.sut.expireDue(100, at(39))).toBe(0);
    expect(await s.sut.expireDue(100, at(100))).toBe(1);
    expect(s.channel.row).toMatchObject({ status: 'ended', endedAt: at(40), endDueAt: null });
    expect(s.recorded.at(-1)).toMatchObject({ name: 'channel_ended', eventTime: at(40).getTime() });
  });

  it('ends only a live or stopped channel (a conflict otherwise)', async () => {
    const error = await s.sut
      .endLocked({} as EntityManager, s.channel.row, at(0))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(ErrorCode.Conflict);
  });

  describe('takeover', () => {
    /** Live through media server `server`, then updates every 10 s until `lastUpdate`. */
    async function liveWithUpdates(
      sut: ChannelLifecycleService,
      channel: OneChannel,
      lastUpdate: number,
    ) {
      await sut.publish('key', { at: at(0), mediaServer: '10.0.0.1' });
      for (let second = 10; second <= lastUpdate; second += 10) {
        expect(await sut.touch('key', at(second))).toBe('live');
      }
      channel.row.heartbeatMs = 10_000; // what the database measures between two updates
    }

    it('refuses a second publisher while the old one keeps its heartbeat', async () => {
      await liveWithUpdates(s.sut, s.channel, 20);
      const session = s.channel.row.sessionId;
      // the same media server asks again before the old session missed an update
      expect((await s.sut.publish('key', { at: at(29), mediaServer: '10.0.0.1' })).outcome).toBe(
        'already-live',
      );
      // another media server, even after a missed update
      expect((await s.sut.publish('key', { at: at(40), mediaServer: '10.0.0.2' })).outcome).toBe(
        'already-live',
      );
      expect(s.channel.row.sessionId).toBe(session);
      expect(s.recorded.map((event) => event.name)).toEqual(['channel_live']);
    });

    it('lets the same media server take over a session that missed its heartbeat: stop as of last heard, then a reconnect', async () => {
      await liveWithUpdates(s.sut, s.channel, 20);
      const session = s.channel.row.sessionId;
      const taken = await s.sut.publish('key', { at: at(36), mediaServer: '10.0.0.1' });
      expect(taken.outcome).toBe('live');
      expect(taken.events.map((event) => [event.name, event.eventTime, event.sessionId])).toEqual([
        ['channel_stop', at(20).getTime(), session],
        ['channel_live', at(36).getTime(), session],
      ]);
      expect(s.channel.row).toMatchObject({ status: 'live', stoppedAt: at(20), liveAt: at(0) });
    });

    it('ends the old session and starts a new one when the window ran out since it was last heard', async () => {
      await liveWithUpdates(s.sut, s.channel, 20);
      const session = s.channel.row.sessionId;
      const taken = await s.sut.publish('key', { at: at(90), mediaServer: '10.0.0.1' });
      expect(taken.events.map((event) => [event.name, event.eventTime])).toEqual([
        ['channel_stop', at(20).getTime()],
        ['channel_ended', at(50).getTime()],
        ['channel_live', at(90).getTime()],
      ]);
      expect(taken.events[2].sessionId).not.toBe(session);
    });

    it('lets any media server take over a session silent past INGEST_STALE_AFTER, once the grace is over', async () => {
      s = setup(30_000);
      await s.sut.publish('key', { at: at(0), mediaServer: '10.0.0.1' });
      expect((await s.sut.publish('key', { at: at(29), mediaServer: '10.0.0.2' })).outcome).toBe(
        'already-live',
      );
      expect((await s.sut.publish('key', { at: at(30), mediaServer: '10.0.0.2' })).outcome).toBe(
        'live',
      );
      // its window (30 s) ran out since it was last heard: a new session
      expect(s.recorded.map((event) => event.name)).toEqual([
        'channel_live',
        'channel_stop',
        'channel_ended',
        'channel_live',
      ]);
    });
  });

  describe('stale channels', () => {
    it('stops a silent channel as of when it was last heard, and its next update revives the session', async () => {
      s = setup(30_000);
      await s.sut.publish('key', { at: at(0) });
      const session = s.channel.row.sessionId;
      expect(await s.sut.touch('key', at(10))).toBe('live');
      expect(await s.sut.stopStale(30_000, 100, at(39))).toBe(0);
      expect(await s.sut.stopStale(30_000, 100, at(41))).toBe(1);
      expect(s.channel.row).toMatchObject({
        status: 'stopped',
        stoppedAt: at(10),
        endDueAt: at(40),
      });
      s.channel.now = at(39);
      expect(await s.sut.touch('key')).toBe('live');
      expect(s.channel.row).toMatchObject({ status: 'live', sessionId: session, liveAt: at(0) });
      expect(s.recorded.map((event) => [event.name, event.eventTime])).toEqual([
        ['channel_live', at(0).getTime()],
        ['channel_stop', at(10).getTime()],
        ['channel_live', at(39).getTime()],
      ]);
    });

    it('does not revive past the window, nor a channel its media server stopped', async () => {
      s = setup(30_000);
      await s.sut.publish('key', { at: at(0) });
      await s.sut.stopStale(30_000, 100, at(31));
      s.channel.now = at(30);
      expect(await s.sut.touch('key')).toBe('not-live');
      expect(s.channel.row.status).toBe('stopped');

      s = setup(30_000);
      await s.sut.publish('key', { at: at(0) });
      await s.sut.unpublish('key', at(5));
      s.channel.now = at(6);
      expect(await s.sut.touch('key')).toBe('not-live');
      expect(s.recorded.map((event) => event.name)).toEqual(['channel_live', 'channel_stop']);
    });
  });
});
