import { Inject, Injectable } from '@nestjs/common';
import { invalid, notFound } from '../common/errors.js';
import { toPage } from '../common/paging.dto.js';
import type { PublicDeliveryStatus } from '../delivery/dto/delivery.dto.js';
import { type DeliveryAttemptEntity, DeliveryStatus } from '../delivery/delivery.entity.js';
import { toDeliveryDto } from '../delivery/delivery-view.js';
import { WebhookRepository } from '../webhook/webhook.repository.js';
import { describeAttempt } from './attempt-description.js';
import { DeliveryLogRepository } from './delivery-log.repository.js';
import type {
  DeliveryAttemptDto,
  DeliveryDetailDto,
  DeliveryPageDto,
  ListDeliveriesQueryDto,
} from './dto/delivery-log.dto.js';

export const STORED_STATUSES: Record<PublicDeliveryStatus, DeliveryStatus[]> = {
  pending: [DeliveryStatus.Pending, DeliveryStatus.Waiting],
  succeeded: [DeliveryStatus.Succeeded],
  failed: [DeliveryStatus.Failed],
};

/** The delivery log of a webhook, as the console reads it: pages, and one delivery in full. */
@Injectable()
export class DeliveryLogService {
  constructor(
    @Inject(DeliveryLogRepository)
    private readonly log: Pick<DeliveryLogRepository, 'page' | 'find' | 'attemptsOf' | 'bodyOf'>,
    @Inject(WebhookRepository)
    private readonly webhooks: Pick<WebhookRepository, 'findWithEvents'>,
  ) {}

  /** Newest first, filtered; `nextCursor` is the `before` of the next page (null on the last). */
  async list(webhookId: string, query: ListDeliveriesQueryDto): Promise<DeliveryPageDto> {
    const since = query.since === undefined ? undefined : new Date(query.since);
    const until = query.until === undefined ? undefined : new Date(query.until);
    if (since && until && until <= since) throw invalid('until must be later than since');
    await this.assertWebhook(webhookId);
    const [rows, total] = await this.log.page(
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
    await this.assertWebhook(webhookId);
    const delivery = await this.log.find(webhookId, deliveryId);
    if (!delivery) throw notFound('delivery', deliveryId);
    const attempts = await this.log.attemptsOf(delivery.id);
    const body = await this.log.bodyOf(delivery);
    const { attempts: _count, ...fields } = toDeliveryDto(delivery);
    return {
      ...fields,
      attempts: attempts.map(toAttemptDto),
      payload: body === null ? null : (JSON.parse(body) as unknown),
    };
  }

  private async assertWebhook(webhookId: string): Promise<void> {
    const [found] = await this.webhooks.findWithEvents([webhookId]);
    if (!found) throw notFound('webhook', webhookId);
  }
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
