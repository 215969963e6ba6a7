import { Injectable } from '@nestjs/common';
import { invalid, notFound } from '../common/errors.js';
import { type Page, toPage } from '../common/paging.dto.js';
import { WebhookRepository } from '../webhook/webhook.repository.js';
import type {
  DeliveryAttemptDto,
  DeliveryDetailDto,
  DeliveryDto,
  ListDeliveriesQueryDto,
  PublicDeliveryStatus,
} from './dto/delivery.dto.js';
import {
  type DeliveryAttemptEntity,
  type DeliveryEntity,
  DeliveryStatus,
} from './delivery.entity.js';
import { DeliveryQueue } from './delivery.queue.js';
import { DeliveryWorker } from './delivery.worker.js';

const STORED_STATUSES: Record<PublicDeliveryStatus, DeliveryStatus[]> = {
  pending: [DeliveryStatus.Pending, DeliveryStatus.Waiting],
  succeeded: [DeliveryStatus.Succeeded],
  failed: [DeliveryStatus.Failed],
};

/** The delivery log of a webhook, and its controls: redeliver and test. */
@Injectable()
export class DeliveryService {
  constructor(
    private readonly queue: DeliveryQueue,
    private readonly webhooks: WebhookRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  /** Newest first. */
  async list(webhookId: string, query: ListDeliveriesQueryDto): Promise<Page<DeliveryDto>> {
    await this.assertWebhook(webhookId);
    const [rows, total] = await this.queue.page(
      webhookId,
      query.status ? STORED_STATUSES[query.status] : undefined,
      query.page * query.length,
      query.length,
    );
    return toPage(rows.map(toDeliveryDto), total, query);
  }

  async findOne(webhookId: string, deliveryId: string): Promise<DeliveryDetailDto> {
    const delivery = await this.load(webhookId, deliveryId);
    const attempts = await this.queue.attemptsOf(delivery.id);
    const body = await this.queue.bodyOf(delivery);
    const { attempts: _count, ...fields } = toDeliveryDto(delivery);
    return {
      ...fields,
      attempts: attempts.map(toAttemptDto),
      payload: body === null ? null : (JSON.parse(body) as unknown),
    };
  }

  /**
   * Sends the same message again now (same webhook-id, one more attempt). A delivery still
   * waiting behind an earlier one of its channel cannot jump its line (a conflict).
   */
  async redeliver(webhookId: string, deliveryId: string): Promise<DeliveryDto> {
    await this.assertWebhook(webhookId);
    const updated = await this.queue.redeliver(webhookId, deliveryId);
    this.worker.wake();
    return toDeliveryDto(updated);
  }

  /** Queues the webhook's failed deliveries created in [since, until) again (see DeliveryQueue). */
  async recover(webhookId: string, since: Date, until?: Date): Promise<{ recovered: number }> {
    await this.assertWebhook(webhookId);
    if (until && until <= since) throw invalid('until must be later than since');
    const recovered = await this.queue.recover(webhookId, since, until);
    if (recovered > 0) this.worker.wake();
    return { recovered };
  }

  /** Sends `{"event":"ping","eventTime":…,"webhookId":…}`, signed and logged like any delivery (one attempt). */
  async test(webhookId: string): Promise<DeliveryDto> {
    await this.assertWebhook(webhookId);
    const now = new Date();
    const body = JSON.stringify({ event: 'ping', eventTime: now.getTime(), webhookId });
    const id = await this.queue.enqueuePing(webhookId, body);
    this.worker.wake();
    return toDeliveryDto(await this.load(webhookId, id));
  }

  private async assertWebhook(webhookId: string): Promise<void> {
    const [found] = await this.webhooks.findWithEvents([webhookId]);
    if (!found) throw notFound('webhook', webhookId);
  }

  private async load(webhookId: string, deliveryId: string): Promise<DeliveryEntity> {
    await this.assertWebhook(webhookId);
    const delivery = await this.queue.find(webhookId, deliveryId);
    if (!delivery) throw notFound('delivery', deliveryId);
    return delivery;
  }
}

export function toDeliveryDto(delivery: DeliveryEntity): DeliveryDto {
  const done =
    delivery.status === DeliveryStatus.Succeeded || delivery.status === DeliveryStatus.Failed;
  return {
    id: delivery.id,
    event: delivery.event,
    channelId: delivery.channelId,
    messageId: delivery.messageId,
    status: delivery.status === DeliveryStatus.Waiting ? 'pending' : delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    nextAttemptAt:
      done || delivery.nextAttemptAt === null ? null : delivery.nextAttemptAt.toISOString(),
    createdAt: delivery.createdAt.toISOString(),
  };
}

function toAttemptDto(attempt: DeliveryAttemptEntity): DeliveryAttemptDto {
  return {
    at: attempt.at.toISOString(),
    statusCode: attempt.statusCode,
    durationMs: attempt.durationMs,
    error: attempt.error,
    responseBody: attempt.responseBody,
  };
}
