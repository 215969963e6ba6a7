import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { describe, expect, it, vi } from 'vitest';
import { ChannelEventRepository } from '../channel-events/channel-event.repository.js';
import { ChannelEventBus } from '../channel-events/channel-events.js';
import { Transactions } from '../database/transactions.js';
import { WebhookRepository } from '../webhook/webhook.repository.js';
import { DeliveryDispatcher } from './delivery.dispatcher.js';
import { DeliveryQueue } from './delivery.queue.js';
import { DeliveryWorker } from './delivery.worker.js';
import { RetryPolicy } from './retry-policy.js';

/** The event flow alone: a typed emit reaches the dispatcher, whose failures stay with it. */
async function setup() {
  const moduleRef = await Test.createTestingModule({
    imports: [EventEmitterModule.forRoot()],
    providers: [
      ChannelEventBus,
      DeliveryDispatcher,
      { provide: Transactions, useValue: {} },
      { provide: ChannelEventRepository, useValue: {} },
      { provide: WebhookRepository, useValue: {} },
      { provide: DeliveryQueue, useValue: {} },
      { provide: DeliveryWorker, useValue: { wake: vi.fn() } },
      { provide: RetryPolicy, useValue: new RetryPolicy({ scheduleMs: [1000], jitter: 0 }) },
    ],
  }).compile();
  // listeners are registered on init; the timers of bootstrap are not wanted here
  await moduleRef.init();
  const sut = moduleRef.get(DeliveryDispatcher);
  return { moduleRef, sut, bus: moduleRef.get(ChannelEventBus) };
}

describe('DeliveryDispatcher event flow', () => {
  it.each(['channel_live', 'channel_stop', 'channel_ended'] as const)(
    'fans out a %s event for its channel, up to that event',
    async (name) => {
      const { moduleRef, sut, bus } = await setup();
      const dispatch = vi.spyOn(sut, 'dispatchChannel').mockResolvedValue(1);
      await bus.emitAsync(name, {
        eventId: '7',
        name,
        channelId: '42',
        sessionId: 's',
        eventTime: 1,
      });
      expect(dispatch).toHaveBeenCalledWith('42', '7');
      await moduleRef.close();
    },
  );

  it('keeps a failed fan-out from reaching the emitter (the sweeper retries it)', async () => {
    const { moduleRef, sut, bus } = await setup();
    vi.spyOn(sut, 'dispatchChannel').mockRejectedValue(new Error('database down'));
    const logged = vi
      .spyOn((sut as unknown as { logger: { error: () => void } }).logger, 'error')
      .mockImplementation(() => undefined);
    await expect(
      bus.emitAsync('channel_live', {
        eventId: '8',
        name: 'channel_live',
        channelId: '42',
        sessionId: 's',
        eventTime: 1,
      }),
    ).resolves.toEqual([undefined]);
    expect(logged).toHaveBeenCalled();
    await moduleRef.close();
  });

  it('does not listen to other topics', async () => {
    const { moduleRef, sut } = await setup();
    const dispatch = vi.spyOn(sut, 'dispatchChannel').mockResolvedValue(0);
    await moduleRef.get(ChannelEventBus)['emitter'].emitAsync('channel_other', {});
    expect(dispatch).not.toHaveBeenCalled();
    await moduleRef.close();
  });
});
