import { describe, expect, it, vi } from 'vitest';
import { DomainError, ErrorCode } from '../common/errors.js';
import type { WebhookRepository, WebhookWithEvents } from '../webhook/webhook.repository.js';
import { DeliveryEntity, DeliveryStatus } from './delivery.entity.js';
import type { DeliveryQueue } from './delivery.queue.js';
import { DeliveryService } from './delivery.service.js';
import type { DeliveryWorker } from './delivery.worker.js';

const delivery = (fields: Partial<DeliveryEntity>) =>
  Object.assign(new DeliveryEntity(), {
    id: '7',
    webhookId: '1',
    channelId: '42',
    eventId: '3',
    event: 'channel_live',
    messageId: 'msg_x',
    body: null,
    status: DeliveryStatus.Pending,
    attempts: 0,
    maxAttempts: 8,
    nextAttemptAt: new Date('2026-11-27T10:00:00.000Z'),
    lastStatusCode: null,
    lastError: null,
    createdAt: new Date('2026-11-27T09:59:59.000Z'),
    ...fields,
  });

/** The queue's methods the service calls: the fake is checked against their signatures. */
type QueueUsed = Pick<
  DeliveryQueue,
  'page' | 'find' | 'redeliver' | 'enqueuePing' | 'attemptsOf' | 'bodyOf'
>;

/** The webhook as its repository reads it: the service only asks that it exists. */
const webhookRow: WebhookWithEvents['webhook'] = {
  id: '1',
  uri: 'https://h.example/hook',
  active: true,
  rateLimit: null,
  failingSince: null,
  disabledReason: null,
  headerNames: [],
  createdAt: new Date('2026-11-27T09:00:00.000Z'),
  updatedAt: new Date('2026-11-27T09:00:00.000Z'),
};

function setup(existing: DeliveryEntity[]) {
  const queue = {
    page: vi.fn(
      (_w: string, filter: { statuses?: readonly string[] }): Promise<[DeliveryEntity[], number]> =>
        Promise.resolve([
          existing.filter((row) => !filter.statuses || filter.statuses.includes(row.status)),
          existing.length,
        ]),
    ),
    find: (_w: string, id: string) =>
      Promise.resolve(existing.find((row) => row.id === id) ?? null),
    redeliver: vi.fn((_w: string, id: string) =>
      Promise.resolve({ ...existing.find((row) => row.id === id)!, attempts: 3 }),
    ),
    enqueuePing: vi.fn(() => Promise.resolve('7')),
    attemptsOf: () => Promise.resolve([]),
    bodyOf: () => Promise.resolve('{"event":"channel_live"}'),
  };
  const webhooks: Pick<WebhookRepository, 'findWithEvents'> = {
    findWithEvents: (ids: string[]) =>
      Promise.resolve(ids[0] === '1' ? [{ webhook: webhookRow, events: [] }] : []),
  };
  const worker = { wake: vi.fn() };
  const sut = new DeliveryService(
    queue satisfies QueueUsed as QueueUsed as DeliveryQueue,
    webhooks as WebhookRepository,
    worker satisfies Pick<DeliveryWorker, 'wake'> as Pick<DeliveryWorker, 'wake'> as DeliveryWorker,
  );
  return { sut, queue, worker };
}

describe('DeliveryService', () => {
  it('shows a waiting delivery as pending, and asks for both when the caller filters on pending', async () => {
    const { sut, queue } = setup([
      delivery({ status: DeliveryStatus.Waiting, nextAttemptAt: null }),
    ]);
    const page = await sut.list('1', { page: 0, length: 10, status: 'pending' });
    expect(queue.page.mock.calls[0][1].statuses).toEqual([
      DeliveryStatus.Pending,
      DeliveryStatus.Waiting,
    ]);
    expect(page.data[0]).toMatchObject({ status: 'pending', nextAttemptAt: null });
  });

  it('hides the next attempt time of a finished delivery', async () => {
    const { sut } = setup([delivery({ status: DeliveryStatus.Succeeded })]);
    expect((await sut.list('1', { page: 0, length: 10 })).data[0].nextAttemptAt).toBeNull();
  });

  it('answers not found for an unknown webhook before touching the queue', async () => {
    const { sut, queue } = setup([]);
    const error = (await sut.redeliver('2', '7').catch((caught: unknown) => caught)) as DomainError;
    expect(error.code).toBe(ErrorCode.NotFound);
    expect(queue.redeliver).not.toHaveBeenCalled();
  });

  it('wakes the worker after a redelivery and after queueing a test ping', async () => {
    const { sut, worker, queue } = setup([delivery({ status: DeliveryStatus.Failed })]);
    expect((await sut.redeliver('1', '7')).attempts).toBe(3);
    await sut.test('1');
    expect(JSON.parse((queue.enqueuePing.mock.calls[0] as unknown[])[1] as string)).toMatchObject({
      event: 'ping',
      webhookId: '1',
    });
    expect(worker.wake).toHaveBeenCalledTimes(2);
  });

  it('reads the detail with its payload parsed', async () => {
    const { sut } = setup([delivery({})]);
    expect((await sut.findOne('1', '7')).payload).toEqual({ event: 'channel_live' });
  });
});
