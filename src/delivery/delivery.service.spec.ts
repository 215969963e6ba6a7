import { describe, expect, it, vi } from 'vitest';
import { DomainError, ErrorCode } from '../common/errors.js';
import type { WebhookRepository, WebhookWithEvents } from '../webhook/webhook.repository.js';
import { deliveryRow as delivery } from '../../test/fixtures/delivery-rows.js';
import { type DeliveryEntity, DeliveryStatus } from './delivery.entity.js';
import type { DeliveryOperations } from './delivery-operations.js';
import type { DeliveryQueue } from './delivery.queue.js';
import { DeliveryService } from './delivery.service.js';
import type { WorkerLink } from './worker-link.js';

/** The queue's methods the service calls: the fake is checked against their signatures. */
type QueueUsed = Pick<DeliveryQueue, 'find'>;
type OperationsUsed = Pick<DeliveryOperations, 'redeliver' | 'enqueueTest'>;

/** The webhook as its repository reads it: the service only asks that it exists. */
const webhookRow: WebhookWithEvents['webhook'] = {
  id: '1',
  uri: 'https://h.example/hook',
  state: 'active',
  rateLimit: null,
  failingSince: null,
  disabledReason: null,
  headerNames: [],
  channels: null,
  createdAt: new Date('2026-11-27T09:00:00.000Z'),
  updatedAt: new Date('2026-11-27T09:00:00.000Z'),
};

function setup(existing: DeliveryEntity[]) {
  const queue = {
    find: (_w: string, id: string) =>
      Promise.resolve(existing.find((row) => row.id === id) ?? null),
  };
  const operations = {
    redeliver: vi.fn((_w: string, id: string) =>
      Promise.resolve({ ...existing.find((row) => row.id === id)!, attempts: 3 }),
    ),
    enqueueTest: vi.fn(() => Promise.resolve('7')),
  };
  const webhooks: Pick<WebhookRepository, 'findWithEvents'> = {
    findWithEvents: (ids: string[]) =>
      Promise.resolve(ids[0] === '1' ? [{ webhook: webhookRow, events: [] }] : []),
  };
  const worker = { wake: vi.fn() };
  const sut = new DeliveryService(
    queue satisfies QueueUsed as DeliveryQueue,
    operations satisfies OperationsUsed as OperationsUsed as DeliveryOperations,
    webhooks as WebhookRepository,
    worker satisfies Pick<WorkerLink, 'wake'> as Pick<WorkerLink, 'wake'> as WorkerLink,
  );
  return { sut, queue, operations, worker };
}

describe('DeliveryService', () => {
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
      JSON.parse((operations.enqueueTest.mock.calls[0] as unknown[])[2] as string),
    ).toMatchObject({
      event: 'ping',
      webhookId: '1',
    });
    expect(worker.wake).toHaveBeenCalledTimes(2);
  });
});
