import { Module } from '@nestjs/common';
import { ChannelEventsModule } from '../channel-events/channel-events.module.js';
import type { AppConfig } from '../config/app-config.js';
import { WebhookModule } from '../webhook/webhook.module.js';
import { BacklogSnapshot } from './backlog-snapshot.js';
import { DeliveryHealth } from './delivery.health.js';
import { DeliveryQueue } from './delivery.queue.js';
import { DeliveryMaintenance } from './delivery-maintenance.js';
import { DeliveryOperations } from './delivery-operations.js';
import { HeadPromotion } from './head-promotion.js';
import { RetryPolicy } from './retry-policy.js';
import { WorkerLink } from './worker-link.js';
import { APP_CONFIG } from '../config/app-config.module.js';

/**
 * Turns channel events into signed, retried, ordered deliveries to the webhooks subscribed to
 * them. This module is what every role shares: the queue (the delivery tables and the line rule),
 * the operations on it, and the link to the process's worker. The operator's controls (redeliver,
 * recover, test) are DeliveryApiModule's; the dispatcher (fan-out), the worker and the sender are
 * DeliveryWorkerModule's. The console's reads of the delivery log are delivery-log/'s. Health asks
 * it through DeliveryHealth alone.
 */
@Module({
  imports: [ChannelEventsModule, WebhookModule],
  providers: [
    {
      provide: RetryPolicy,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        const { delivery } = config;
        return new RetryPolicy({
          scheduleMs: delivery.retryScheduleMs,
          jitter: delivery.retryJitter,
        });
      },
    },
    DeliveryQueue,
    DeliveryOperations,
    DeliveryMaintenance,
    HeadPromotion,
    BacklogSnapshot,
    DeliveryHealth,
    WorkerLink,
  ],
  exports: [
    RetryPolicy,
    DeliveryQueue,
    DeliveryOperations,
    DeliveryMaintenance,
    HeadPromotion,
    BacklogSnapshot,
    DeliveryHealth,
    WorkerLink,
  ],
})
export class DeliveryModule {}
