import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChannelEventsModule } from '../channel-events/channel-events.module.js';
import type { AppConfig } from '../config/app-config.js';
import { DestinationModule } from '../destination/destination.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { WebhookModule } from '../webhook/webhook.module.js';
import { DeliveryController } from './delivery.controller.js';
import { DeliveryDispatcher } from './delivery.dispatcher.js';
import { DeliveryAttemptEntity, DeliveryEntity } from './delivery.entity.js';
import { BacklogSnapshot } from './backlog-snapshot.js';
import { DeliveryHealth } from './delivery.health.js';
import { DeliveryMetrics } from './delivery.metrics.js';
import { DeliveryQueue } from './delivery.queue.js';
import { DeliverySender } from './delivery.sender.js';
import { DeliveryService } from './delivery.service.js';
import { DeliveryWorker } from './delivery.worker.js';
import { DeliveryRetention } from './delivery-retention.js';
import { DeliveryFanOut } from './delivery-fan-out.js';
import { DeliveryMaintenance } from './delivery-maintenance.js';
import { DeliveryOperations } from './delivery-operations.js';
import { HeadPromotion } from './head-promotion.js';
import { RetryPolicy } from './retry-policy.js';

/**
 * Turns channel events into signed, retried, ordered deliveries to the webhooks subscribed to
 * them: the dispatcher (fan-out), the queue (the delivery tables and the line rule), the worker
 * and the sender; and the operator's controls (redeliver, recover, test). The console's reads of
 * the delivery log are delivery-log/'s. Health asks it through DeliveryHealth alone.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([DeliveryEntity, DeliveryAttemptEntity]),
    HttpModule.register({}),
    ChannelEventsModule,
    WebhookModule,
    DestinationModule,
    MetricsModule,
  ],
  controllers: [DeliveryController],
  providers: [
    {
      provide: RetryPolicy,
      inject: [ConfigService],
      useFactory: (config: ConfigService<{ app: AppConfig }, true>) => {
        const { delivery } = config.get('app', { infer: true });
        return new RetryPolicy({
          scheduleMs: delivery.retryScheduleMs,
          jitter: delivery.retryJitter,
        });
      },
    },
    DeliveryDispatcher,
    DeliveryQueue,
    DeliveryFanOut,
    DeliveryOperations,
    DeliveryMaintenance,
    HeadPromotion,
    DeliverySender,
    DeliveryService,
    DeliveryWorker,
    DeliveryMetrics,
    DeliveryHealth,
    BacklogSnapshot,
    DeliveryRetention,
  ],
  exports: [DeliveryHealth],
})
export class DeliveryModule {}
