import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app-config.js';
import { ChannelEventsModule } from '../channel-events/channel-events.module.js';
import { RateLimitModule } from '../common/rate-limit/rate-limit.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ChannelExpiryService } from './channel-expiry.service.js';
import { ChannelLifecycleService } from './channel-lifecycle.service.js';
import { ChannelController } from './channel.controller.js';
import { ChannelEntity } from './channel.entity.js';
import { ChannelMetrics } from './channel.metrics.js';
import { ChannelRepository } from './channel.repository.js';
import { ChannelService } from './channel.service.js';
import {
  GenericIngestController,
  NginxRtmpIngestController,
  SrsIngestController,
} from './ingest/ingest.controller.js';
import { IngestService } from './ingest/ingest.service.js';
import { StaleGrace } from './session-liveness.js';

/**
 * Channels, their live lifecycle and the media-server hooks that drive it. Transitions write
 * their events into the channel-events outbox; this module knows nothing of delivery.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([ChannelEntity]),
    ChannelEventsModule,
    MetricsModule,
    RateLimitModule,
  ],
  controllers: [
    ChannelController,
    NginxRtmpIngestController,
    SrsIngestController,
    GenericIngestController,
  ],
  providers: [
    ChannelRepository,
    ChannelService,
    ChannelLifecycleService,
    ChannelExpiryService,
    ChannelMetrics,
    IngestService,
    {
      provide: StaleGrace,
      inject: [ConfigService],
      useFactory: (config: ConfigService<{ app: AppConfig }, true>) =>
        new StaleGrace(config.get('app', { infer: true }).ingestStaleAfterMs),
    },
  ],
  exports: [ChannelService, ChannelLifecycleService],
})
export class ChannelModule {}
