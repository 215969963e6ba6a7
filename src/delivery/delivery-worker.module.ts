import { HttpService } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { isMainThread } from 'node:worker_threads';
import { ChannelEventsModule } from '../channel-events/channel-events.module.js';
import type { AppConfig } from '../config/app-config.js';
import { DestinationModule } from '../destination/destination.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { WebhookModule } from '../webhook/webhook.module.js';
import { DeliveryDispatcher, SweepSchedule } from './delivery.dispatcher.js';
import { DeliveryMetrics } from './delivery.metrics.js';
import { DeliveryModule } from './delivery.module.js';
import { DeliverySender } from './delivery.sender.js';
import { DeliveryWorker } from './delivery.worker.js';
import { DeliveryFanOut } from './delivery-fan-out.js';
import { DeliveryRetention } from './delivery-retention.js';
import { leanHttpService } from './lean-http.js';
import { WorkerLink } from './worker-link.js';
import { APP_CONFIG } from '../config/app-config.module.js';

/**
 * The delivery engine's background work, in processes of role `worker` or `both`: the dispatcher
 * (fan-out of the outbox), the worker and the sender, the retention of the delivery log, and the
 * delivery metrics.
 */
@Module({
  imports: [DeliveryModule, ChannelEventsModule, WebhookModule, DestinationModule, MetricsModule],
  providers: [
    { provide: HttpService, useFactory: leanHttpService },
    {
      provide: SweepSchedule,
      inject: [APP_CONFIG],
      // A worker thread hears the API thread's events, forwarded; a worker process, none.
      useFactory: (config: AppConfig) =>
        config.role === 'worker' && isMainThread
          ? SweepSchedule.WORKER_ONLY
          : SweepSchedule.IN_PROCESS,
    },
    DeliveryDispatcher,
    DeliveryFanOut,
    DeliverySender,
    DeliveryWorker,
    DeliveryMetrics,
    DeliveryRetention,
  ],
})
export class DeliveryWorkerModule {
  /** The process's API side reaches this worker through the link. */
  constructor(link: WorkerLink, worker: DeliveryWorker) {
    link.attach({ wake: () => worker.wake(), running: () => worker.running });
  }
}
