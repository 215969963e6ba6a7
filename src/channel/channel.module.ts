import { Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { performance } from 'node:perf_hooks';
import { databaseStatus } from '../database/database-status.js';
import { ChannelEventsModule } from '../channel-events/channel-events.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ChannelEventsService } from './channel-events.service.js';
import { ChannelLifecycleService } from './channel-lifecycle.service.js';
import { ChannelService } from './channel.service.js';
import { ChannelMetrics } from './channel.metrics.js';
import { ChannelRepository } from './channel.repository.js';
import { StaleGrace } from './session-liveness.js';
import { APP_CONFIG } from '../config/app-config.module.js';

/**
 * Channels and their live lifecycle, as every role shares them: ChannelService (their records)
 * and ChannelEventsService (their transitions, raised by a host app's own code). Transitions
 * write their events into the channel-events outbox; this module knows nothing of delivery. The
 * API and the media-server hooks that drive the lifecycle are ChannelApiModule's; the expiry of reconnect
 * windows and stale channels, ChannelJobsModule's.
 */
@Module({
  imports: [ChannelEventsModule, MetricsModule],
  providers: [
    ChannelRepository,
    ChannelLifecycleService,
    ChannelService,
    ChannelEventsService,
    ChannelMetrics,
    {
      provide: StaleGrace,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new StaleGrace(config.ingestStaleAfterMs),
    },
  ],
  exports: [
    ChannelRepository,
    ChannelLifecycleService,
    ChannelService,
    ChannelEventsService,
    StaleGrace,
  ],
})
export class ChannelModule implements OnModuleInit, OnModuleDestroy {
  private unwatch: (() => void) | undefined;

  constructor(private readonly grace: StaleGrace) {}

  /**
   * The grace follows what this thread knows of the database, in every role: the API's takeovers
   * need it as much as the worker's expiry scan, and an API process runs no scan.
   */
  onModuleInit(): void {
    this.unwatch = databaseStatus.watch((reachable) =>
      this.grace.observe(reachable, performance.now()),
    );
  }

  onModuleDestroy(): void {
    this.unwatch?.();
  }
}
