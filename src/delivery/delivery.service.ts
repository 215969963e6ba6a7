import { Injectable, Logger } from '@nestjs/common';
import { invalid, notFound } from '../common/errors.js';
import { toPage } from '../common/paging.dto.js';
import { PROGRESS_EVERY, progressLog } from '../common/progress.js';
import { WebhookRepository } from '../webhook/webhook.repository.js';
import { describeAttempt } from './attempt-description.js';
import type {
  DeliveryAttemptDto,
  DeliveryDetailDto,
  DeliveryDto,
  DeliveryPageDto,
  ListDeliveriesQueryDto,
  PublicDeliveryStatus,
} from './dto/delivery.dto.js';
import {
  type DeliveryAttemptEntity,
  type DeliveryEntity,
  DeliveryStatus,
} from './delivery.entity.js';
import { DeliveryOperations } from './delivery-operations.js';
import { DeliveryQueue } from './delivery.queue.js';
import { DeliveryWorker } from './delivery.worker.js';

export const STORED_STATUSES: Record<PublicDeliveryStatus, DeliveryStatus[]> = {
  pending: [DeliveryStatus.Pending, DeliveryStatus.Waiting],
  succeeded: [DeliveryStatus.Succeeded],
  failed: [DeliveryStatus.Failed],
};

/** The delivery log of a webhook, and its controls: redeliver and test. */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger('DeliveryService');

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly operations: DeliveryOperations,
    private readonly webhooks: WebhookRepository,
    private readonly worker: DeliveryWorker,
  ) {}

  /** Newest first, filtered; `nextCursor` is the `before` of the next page (null on the last). */
  async list(webhookId: string, query: ListDeliveriesQueryDto): Promise<DeliveryPageDto> {
    const since = query.since === undefined ? undefined : new Date(query.since);
    const until = query.until === undefined ? undefined : new Date(query.until);
    if (since && until && until <= since) throw invalid('until must be later than since');
    await this.assertWebhook(webhookId);
    const [rows, total] = await this.queue.page(
      webhookId,
      {
        statuses: query.status ? STORED_STATUSES[query.status] : undefined,
        event: query.event,
        channelId: query.channelId,
        messageId: query.messageId,
        since,
        until,
        before: query.before,
      },
      query.page * query.length,
      // one more than asked: whether there is a next page
      query.length + 1,
    );
    const shown = rows.slice(0, query.length);
    return {
      ...toPage(shown.map(toDeliveryDto), total, query),
      nextCursor: rows.length > query.length ? shown[shown.length - 1].id : null,
    };
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
   * Sends the same message again (same webhook-id, one more attempt): now, or after its line's
   * open head (see DeliveryOperations). A delivery still waiting behind an earlier one of its channel
   * cannot jump its line (a conflict).
   */
  async redeliver(webhookId: string, deliveryId: string): Promise<DeliveryDto> {
    await this.assertWebhook(webhookId);
    const updated = await this.operations.redeliver(webhookId, deliveryId);
    this.worker.wake();
    return toDeliveryDto(updated);
  }

  /** Queues the webhook's failed deliveries created in [since, until) again (see DeliveryOperations). */
  async recover(webhookId: string, since: Date, until?: Date): Promise<{ recovered: number }> {
    await this.assertWebhook(webhookId);
    if (until && until <= since) throw invalid('until must be later than since');
    const progress = progressLog(
      this.logger,
      (done) => `Recovering webhook ${webhookId}'s failed deliveries: ${done} queued again so far`,
    );
    const recovered = await this.operations.recover(webhookId, since, until, (done) => {
      progress(done);
      // the first chunks' deliveries can go out while the rest are queued
      this.worker.wake();
    });
    if (recovered >= PROGRESS_EVERY) {
      this.logger.log(
        `Recovered webhook ${webhookId}: ${recovered} failed deliveries queued again`,
      );
    }
    return { recovered };
  }

  /** Sends `{"event":"ping","eventTime":…,"webhookId":…}`, signed and logged like any delivery (one attempt). */
  async test(webhookId: string): Promise<DeliveryDto> {
    await this.assertWebhook(webhookId);
    const now = new Date();
    const body = JSON.stringify({ event: 'ping', eventTime: now.getTime(), webhookId });
    const id = await this.operations.enqueuePing(webhookId, body);
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

/** A stored status as answers show it: a delivery waiting behind another is pending too. */
export function publicStatus(status: DeliveryStatus): PublicDeliveryStatus {
  return status === DeliveryStatus.Waiting ? 'pending' : status;
}

export function toDeliveryDto(delivery: DeliveryEntity): DeliveryDto {
  const done =
    delivery.status === DeliveryStatus.Succeeded || delivery.status === DeliveryStatus.Failed;
  return {
    id: delivery.id,
    event: delivery.event,
    channelId: delivery.channelId,
    messageId: delivery.messageId,
    status: publicStatus(delivery.status),
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
    responseBodyTruncated: Boolean(attempt.responseTruncated),
    requestHeaders: readHeaders(attempt.requestHeaders),
    responseHeaders: readHeaders(attempt.responseHeaders),
    errorDescription: describeAttempt(attempt),
  };
}

/** Headers stored as JSON text; null when none were kept (or the text is not an object). */
function readHeaders(text: string | null): Record<string, string> | null {
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, string>)
      : null;
  } catch {
    return null;
  }
}
