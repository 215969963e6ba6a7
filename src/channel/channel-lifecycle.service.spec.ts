import type { EntityManager } from 'typeorm';
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

const T0 = new Date('2026-11-27T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** The channel table's interface over one row; transitions honour their guard as SQL would. */
class OneChannel {
  row: ChannelEntity = Object.assign(new ChannelEntity(), {
    id: '42',
    name: 'Morning show',
    description: null,
    status: 'idle',
    reconnectWindow: 30,
    streamKey: 'key',
    sessionId: null,
    liveAt: null,
    stoppedAt: null,
    endedAt: null,
    endDueAt: null,
    createdAt: T0,
    updatedAt: T0,
  });

  lockByStreamKeys(_m: EntityManager, keys: string[]) {
    const found = keys.includes(this.row.streamKey) ? [[this.row.streamKey, { ...this.row }]] : [];
    return Promise.resolve({
      byKey: new Map(found as [string, ChannelEntity][]),
      bySessionKey: new Map<string, ChannelEntity>(),
    });
  }
  saveTransitions(_m: EntityManager, transitions: SavedTransition[]) {
    for (const { channel, from } of transitions) {
      if (channel.id !== this.row.id || this.row.status !== from) throw new Error('changed');
      Object.assign(this.row, channel);
    }
    return Promise.resolve();
  }
  lockDueStopped(_m: EntityManager, now: Date) {
    const due = this.row.status === 'stopped' && this.row.endDueAt! <= now;
    return Promise.resolve(due ? [{ ...this.row }] : []);
  }
}

function setup() {
  const channel = new OneChannel();
  const recorded: NewChannelEvent[] = [];
  const emitted: ChannelEventRecorded[] = [];
  let committed = 0;
  const outbox = {
    append: (_m: EntityManager, events: NewChannelEvent[]) => {
      recorded.push(...events);
      return Promise.resolve(events.map((_, i) => String(recorded.length - events.length + i + 1)));
    },
  };
  // The repositories are fakes: the pipeline only has to commit.
  const pipeline = { commit: () => Promise.resolve(void committed++) };
  const transactions = {
    pipeline: <T>(work: (tx: typeof pipeline) => Promise<T>) => work(pipeline),
  };
  const bus = {
    emit: (_name: string, event: ChannelEventRecorded) => {
      // an event is emitted only once its transaction is committed
      expect(committed).toBeGreaterThan(0);
      emitted.push(event);
    },
  };
  const sut = new ChannelLifecycleService(
    transactions as unknown as Transactions,
    channel as unknown as ChannelRepository,
    outbox as unknown as ChannelEventRepository,
    bus as unknown as ChannelEventBus,
    { events: { inc: () => undefined } } as unknown as ChannelMetrics,
  );
  return { sut, channel, recorded, emitted, commits: () => committed };
}

describe('ChannelLifecycleService', () => {
  let s: ReturnType<typeof setup>;
  beforeEach(() => (s = setup()));

  it('goes live with a new session and records the channel as GET shows it, never the key', async () => {
    expect((await s.sut.publish('key', at(0))).outcome).toBe('live');
    expect(s.channel.row).toMatchObject({ status: 'live', liveAt: at(0) });
    expect(s.channel.row.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const body = JSON.parse(s.recorded[0].body) as Record<string, unknown>;
    expect(body).toMatchObject({ event: 'channel_live', eventTime: at(0).getTime(), id: '42' });
    expect(body).not.toHaveProperty('streamKey');
    expect(s.emitted.map((event) => event.name)).toEqual(['channel_live']);
  });

  it('applies hooks that arrive together in arrival order, in one transaction', async () => {
    const [live, again, stopped] = await Promise.all([
      s.sut.publish('key', at(0)),
      s.sut.publish('key', at(1)),
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
      .publish('key', at(0))
      .then(() => s.sut.unpublish('key', at(1)))
      .then(() => s.sut.unpublish('key', at(2)));
    expect(stopped.outcome).toBe('not-live');
    expect(s.channel.row.status).toBe('stopped');
  });

  it('refuses an unknown key and a second publish, recording nothing', async () => {
    expect((await s.sut.publish('nope', at(0))).outcome).toBe('unknown-key');
    await s.sut.publish('key', at(0));
    expect((await s.sut.publish('key', at(1))).outcome).toBe('already-live');
    expect(s.recorded).toHaveLength(1);
  });

  it('stops, and a publisher back within the window keeps the session', async () => {
    await s.sut.publish('key', at(0));
    const session = s.channel.row.sessionId;
    expect((await s.sut.unpublish('key', at(10))).outcome).toBe('stopped');
    expect(s.channel.row.endDueAt).toEqual(at(40));
    await s.sut.publish('key', at(20));
    expect(s.channel.row).toMatchObject({ status: 'live', sessionId: session, liveAt: at(0) });
    expect(s.recorded.map((event) => event.name)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_live',
    ]);
  });

  it('ends a session whose window ran out before the publisher came back, at its due time', async () => {
    await s.sut.publish('key', at(0));
    const session = s.channel.row.sessionId;
    await s.sut.unpublish('key', at(10));
    await s.sut.publish('key', at(60));
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
    await s.sut.publish('key', at(0));
    await s.sut.unpublish('key', at(10));
    expect(await s.sut.expireDue(at(39))).toBe(0);
    expect(await s.sut.expireDue(at(100))).toBe(1);
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
});
