import { describe, expect, it, vi } from 'vitest';
import { DomainError, ErrorCode } from '../common/errors.js';
import type { WebhookRepository } from '../webhook/webhook.repository.js';
import { DeliveryEntity, DeliveryStatus } from './delivery.entity.js';
import type { DeliveryOperations } from './delivery-operations.js';
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

function setup(existing: DeliveryEntity[]) {
  const queue = {
    page: vi.fn((_w: string, filter: { statuses?: readonly string[] }) =>
      Promise.resolve([
        existing.filter((row) => !filter.statuses || filter.statuses.includes(row.status)),
        existing.length,
      ]),
    ),
    find: (_w: string, id: string) =>
      Promise.resolve(existing.find((row) => row.id === id) ?? null),
    attemptsOf: () => Promise.resolve([]),
    bodyOf: () => Promise.resolve('{"event":"channel_live"}'),
  };
  const operations = {
    redeliver: vi.fn((_w: string, id: string) =>
      Promise.resolve({ ...existing.find((row) => row.id === id)!, attempts: 3 }),
    ),
    enqueuePing: vi.fn(() => Promise.resolve('7')),
  };
  const webhooks = {
    findWithEvents: (ids: string[]) =>
      Promise.resolve(ids[0] === '1' ? [{ webhook: {}, events: [] }] : []),
  };
  const worker = { wake: vi.fn() };
  const sut = new DeliveryService(
    queue as unknown as DeliveryQueue,
    operations as unknown as DeliveryOperations,
    webhooks as unknown as WebhookRepository,
    worker as unknown as DeliveryWorker,
  );
  return { sut, queue, operations, worker };
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
    const { sut, operations } = setup([]);
    const error = (await sut.redeliver('2', '7').catch((caught: unknown) => caught)) as DomainError;
    expect(error.code).toBe(ErrorCode.NotFound);
    expect(operations.redeliver).not.toHaveBeenCalled();
  });

  it('wakes the worker after a redelivery and after queueing a test ping', async () => {
    const { sut, worker, operations } = setup([delivery({ status: DeliveryStatus.Failed })]);
    expect((await sut.redeliver('1', '7')).attempts).toBe(3);
    await sut.test('1');
    expect(
      JSON.parse((operations.enqueuePing.mock.calls[0] as unknown[])[1] as string),
    ).toMatchObject({
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
