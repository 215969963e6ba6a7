import { Injectable, Logger } from '@nestjs/common';
import { PING_EVENT } from '../common/channel-event-name.js';
import { type EventTypeName, eventExample } from '../common/event-types.js';
import { invalid, notFound } from '../common/errors.js';
import { PROGRESS_EVERY, progressLog } from '../common/progress.js';
import { WebhookRepository } from '../webhook/webhook.repository.js';
import type { DeliveryDto } from './dto/delivery.dto.js';
import type { DeliveryEntity } from './delivery.entity.js';
import { DeliveryOperations } from './delivery-operations.js';
import { DeliveryQueue } from './delivery.queue.js';
import { toDeliveryDto } from './delivery-view.js';
import { WorkerLink } from './worker-link.js';

/**
 * The operator's controls of a webhook's deliveries: redeliver, recover and test. The log itself
 * is read by the console (delivery-log/).
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger('DeliveryService');

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly operations: DeliveryOperations,
    private readonly webhooks: WebhookRepository,
    private readonly worker: WorkerLink,
  ) {}

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

  /**
   * Sends `{"event":"ping","eventTime":…,"webhookId":…}`, or another event's example (with
   * `eventTime` now), signed and logged like any delivery, in one attempt, with `webhook-test:
   * true`.
   */
  async test(webhookId: string, event: EventTypeName = PING_EVENT): Promise<DeliveryDto> {
    await this.assertWebhook(webhookId);
    const eventTime = Date.now();
    const body = JSON.stringify(
      event === PING_EVENT
        ? { event: PING_EVENT, eventTime, webhookId }
        : { ...eventExample(event), eventTime },
    );
    const id = await this.operations.enqueueTest(webhookId, event, body);
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
