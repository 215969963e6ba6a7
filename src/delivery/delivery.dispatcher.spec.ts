import { Logger } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { describe, expect, it, vi } from 'vitest';
import {
  ChannelEventRepository,
  type UndispatchedEvent,
} from '../channel-events/channel-event.repository.js';
import { ChannelEventBus, type ChannelEventRecorded } from '../channel-events/channel-events.js';
import { Deferred } from '../database/pipeline.js';
import { Transactions } from '../database/transactions.js';
import { WebhookDirectory } from '../webhook/webhook-directory.js';
import { WebhookRepository } from '../webhook/webhook.repository.js';
import { DeliveryDispatcher, SweepSchedule } from './delivery.dispatcher.js';
import { DeliveryMaintenance } from './delivery-maintenance.js';
import { DeliveryFanOut, type FanOutItem } from './delivery-fan-out.js';
import { DeliveryWorker } from './delivery.worker.js';
import { RetryPolicy } from './retry-policy.js';

/** The outbox's interface over a list: what the dispatcher locks, marks and moves on. */
class Outbox {
  constructor(public rows: UndispatchedEvent[]) {}
  remember = vi.fn();
  undispatchedChannels = () => Promise.resolve([...new Set(this.rows.map((row) => row.channelId))]);
  lockUndispatched = vi.fn((_m: unknown, channels: string[], limit: number) =>
    Promise.resolve(this.rows.filter((row) => channels.includes(row.channelId)).slice(0, limit)),
  );
  markDispatched = (_m: unknown, ids: string[]) => {
    this.rows = this.rows.filter((row) => !ids.includes(row.id));
  };
  saveProgress = (_m: unknown, id: string, cursor: string) => {
    this.rows.find((row) => row.id === id)!.cursor = cursor;
  };
}

const event = (id: string, channelId: string, name: UndispatchedEvent['name']) => ({
  id,
  channelId,
  name,
  body: `{"event":"${name}"}`,
  cursor: null,
  traceParent: null,
});

const recorded = (channelId: string): ChannelEventRecorded<'channel_live'> => ({
  eventId: '7',
  name: 'channel_live',
  channelId,
  sessionId: 's',
  eventTime: 1,
  body: '{"event":"channel_live"}',
  traceParent: null,
});

/** The dispatcher with its collaborators replaced at their interfaces. */
async function setup(outbox: Outbox, subscribers: number, failing = false) {
  const written: FanOutItem[][] = [];
  const targets = Array.from({ length: subscribers }, (_, i) => ({
    id: String(i + 1),
    uri: `https://h.example/${i + 1}`,
  }));
  const moduleRef = await Test.createTestingModule({
    imports: [EventEmitterModule.forRoot()],
    providers: [
      ChannelEventBus,
      DeliveryDispatcher,
      {
        provide: Transactions,
        useValue: {
          pipeline: (work: (tx: unknown) => Promise<unknown>) =>
            failing
              ? Promise.reject(new Error('database down'))
              : work({ commit: () => Promise.resolve() }),
        },
      },
      { provide: ChannelEventRepository, useValue: outbox },
      { provide: WebhookRepository, useValue: { version: () => Deferred.of(3) } },
      {
        provide: WebhookDirectory,
        useValue: {
          atLeast: vi.fn(function (this: unknown) {
            return Promise.resolve({ subscribers: () => targets });
          }),
        },
      },
      {
        provide: DeliveryFanOut,
        useValue: {
          write: vi.fn((_m: unknown, items: FanOutItem[]) => {
            written.push(items);
            const count = items.reduce((n, item) => n + item.targets.length, 0);
            return Promise.resolve({
              inserted: count,
              sendable: count,
              leased: Deferred.of([]),
            });
          }),
        },
      },
      {
        provide: DeliveryMaintenance,
        useValue: {
          repairLines: () => Promise.resolve(0),
          releaseHeld: () => Promise.resolve(0),
        },
      },
      {
        provide: DeliveryWorker,
        useValue: {
          owner: 'w',
          leaseMs: 1000,
          wake: vi.fn(),
          reserve: () => 0,
          release: vi.fn(),
          startLeased: vi.fn(),
        },
      },
      { provide: RetryPolicy, useValue: new RetryPolicy({ scheduleMs: [1000], jitter: 0 }) },
      { provide: SweepSchedule, useValue: SweepSchedule.IN_PROCESS },
    ],
  }).compile();
  await moduleRef.init();
  const sut = moduleRef.get(DeliveryDispatcher);
  return { moduleRef, sut, bus: moduleRef.get(ChannelEventBus), written };
}

describe('DeliveryDispatcher', () => {
  it.each(['channel_live', 'channel_stop', 'channel_ended'] as const)(
    'fans out the channel of a %s event, keeping its body for the sends',
    async (name) => {
      const outbox = new Outbox([]);
      const { moduleRef, sut, bus, written } = await setup(outbox, 2);
      outbox.rows = [event('7', '42', name)];
      await bus.emitAsync(name, { ...recorded('42'), name });
      await sut.drain();
      expect(outbox.remember).toHaveBeenCalledWith('7', {
        body: '{"event":"channel_live"}',
        traceParent: null,
      });
      expect(written.flat().map((item) => [item.event.id, item.targets.length])).toEqual([
        ['7', 2],
      ]);
      expect(outbox.rows).toEqual([]);
      await moduleRef.close();
    },
  );

  it('fans out events emitted together in one transaction', async () => {
    const outbox = new Outbox([]);
    const { moduleRef, sut, bus, written } = await setup(outbox, 1);
    outbox.rows = [event('1', 'a', 'channel_live'), event('2', 'b', 'channel_live')];
    bus.emit('channel_live', recorded('a'));
    bus.emit('channel_live', recorded('b'));
    await sut.drain();
    await new Promise((resolve) => setImmediate(resolve));
    await sut.drain();
    expect(written).toHaveLength(1);
    expect(written[0].map((item) => item.event.id)).toEqual(['1', '2']);
    await moduleRef.close();
  });

  it('commits a large fan-out in chunks, holding back the later events of its channel', async () => {
    const outbox = new Outbox([
      event('1', 'a', 'channel_live'),
      event('2', 'a', 'channel_stop'),
      event('3', 'b', 'channel_live'),
    ]);
    const { moduleRef, sut, bus, written } = await setup(outbox, 2_500);
    bus.emit('channel_live', recorded('a'));
    bus.emit('channel_live', recorded('b'));
    await new Promise((resolve) => setImmediate(resolve));
    await sut.drain();
    const perTransaction = written.map((items) =>
      items.map((item) => `${item.event.id}:${item.targets[0].id}-${item.targets.at(-1)!.id}`),
    );
    expect(perTransaction[0]).toEqual(['1:1-1000']);
    expect(perTransaction[1]).toEqual(['1:1001-2000']);
    // event 1 finishes; 2 (same channel) only after it, in order; b's event where room is left
    expect(perTransaction.flat()).toContain('1:2001-2500');
    const flat = perTransaction.flat();
    expect(flat.indexOf('2:1-500')).toBeGreaterThan(flat.indexOf('1:2001-2500'));
    expect(written.flat().reduce((n, item) => n + item.targets.length, 0)).toBe(7_500);
    expect(outbox.rows).toEqual([]);
    await moduleRef.close();
  });

  it('keeps a failed fan-out from reaching the emitter (the events stay for the sweeper)', async () => {
    const outbox = new Outbox([]);
    const { moduleRef, sut, bus } = await setup(outbox, 1, true);
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    outbox.rows = [event('8', '42', 'channel_live')];
    await expect(bus.emitAsync('channel_live', recorded('42'))).resolves.toEqual([undefined]);
    await new Promise((resolve) => setImmediate(resolve));
    await sut.drain();
    expect(logged).toHaveBeenCalled();
    logged.mockRestore();
    expect(outbox.rows).toHaveLength(1);
    await moduleRef.close();
  });

  it('does not listen to other topics', async () => {
    const outbox = new Outbox([]);
    const { moduleRef, sut, written } = await setup(outbox, 1);
    outbox.rows = [event('9', '42', 'channel_live')];
    await moduleRef.get(ChannelEventBus)['emitter'].emitAsync('channel_other', recorded('42'));
    await new Promise((resolve) => setImmediate(resolve));
    await sut.drain();
    expect(written).toEqual([]);
    await moduleRef.close();
  });
});
