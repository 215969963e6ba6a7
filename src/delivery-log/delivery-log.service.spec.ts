import { describe, expect, it, vi } from 'vitest';
import { DomainError, ErrorCode } from '../common/errors.js';
import { deliveryRow as delivery } from '../../test/fixtures/delivery-rows.js';
import { type DeliveryEntity, DeliveryStatus } from '../delivery/delivery.entity.js';
import type { WebhookRepository, WebhookWithEvents } from '../webhook/webhook.repository.js';
import type { DeliveryFilter, DeliveryLogRepository } from './delivery-log.repository.js';
import { DeliveryLogService } from './delivery-log.service.js';

const webhook: WebhookWithEvents = {
  webhook: {
    id: '1',
    uri: 'https://example.com/hook',
    state: 'active',
    rateLimit: null,
    failingSince: null,
    disabledReason: null,
    createdAt: new Date('2026-11-27T09:00:00.000Z'),
    updatedAt: new Date('2026-11-27T09:00:00.000Z'),
    headerNames: [],
    channels: null,
  },
  events: ['all'],
};

/** The log as an in-memory list of webhook 1's deliveries. */
function setup(existing: DeliveryEntity[]) {
  const log = {
    page: vi.fn((_webhookId: string, filter: DeliveryFilter) =>
      Promise.resolve<[DeliveryEntity[], number]>([
        existing.filter((row) => !filter.statuses || filter.statuses.includes(row.status)),
        existing.length,
      ]),
    ),
    find: vi.fn((_webhookId: string, id: string) =>
      Promise.resolve(existing.find((row) => row.id === id) ?? null),
    ),
    attemptsOf: () => Promise.resolve([]),
    bodyOf: () => Promise.resolve('{"event":"channel_live"}'),
  } satisfies Pick<DeliveryLogRepository, 'page' | 'find' | 'attemptsOf' | 'bodyOf'>;
  const webhooks: Pick<WebhookRepository, 'findWithEvents'> = {
    findWithEvents: (ids: string[]) => Promise.resolve(ids[0] === '1' ? [webhook] : []),
  };
  return { sut: new DeliveryLogService(log, webhooks), log };
}

describe('DeliveryLogService', () => {
  it('shows a waiting delivery as pending, and asks for both when the caller filters on pending', async () => {
    const { sut, log } = setup([delivery({ status: DeliveryStatus.Waiting, nextAttemptAt: null })]);
    const page = await sut.list('1', { page: 0, length: 10, status: 'pending' });
    expect(log.page.mock.calls[0][1].statuses).toEqual([
      DeliveryStatus.Pending,
      DeliveryStatus.Waiting,
    ]);
    expect(page.data[0]).toMatchObject({ status: 'pending', nextAttemptAt: null });
  });

  it('hides the next attempt time of a finished delivery', async () => {
    const { sut } = setup([delivery({ status: DeliveryStatus.Succeeded })]);
    expect((await sut.list('1', { page: 0, length: 10 })).data[0].nextAttemptAt).toBeNull();
  });

  it('reads the detail with its payload parsed', async () => {
    const { sut } = setup([delivery({})]);
    expect((await sut.findOne('1', '7')).payload).toEqual({ event: 'channel_live' });
  });

  it('answers not found for an unknown webhook before reading its log', async () => {
    const { sut, log } = setup([delivery({})]);
    const error = (await sut.findOne('2', '7').catch((caught: unknown) => caught)) as DomainError;
    expect(error.code).toBe(ErrorCode.NotFound);
    expect(log.find).not.toHaveBeenCalled();
  });
});
