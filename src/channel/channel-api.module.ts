import { Module } from '@nestjs/common';
import { RateLimitModule } from '../common/rate-limit/rate-limit.module.js';
import { ChannelController } from './channel.controller.js';
import { ChannelModule } from './channel.module.js';
import {
  GenericIngestController,
  NginxRtmpIngestController,
  SrsIngestController,
} from './ingest/ingest.controller.js';
import { IngestService } from './ingest/ingest.service.js';

/** The channels' REST API and the media-server hooks, in processes that serve the API. */
@Module({
  imports: [ChannelModule, RateLimitModule],
  controllers: [
    ChannelController,
    NginxRtmpIngestController,
    SrsIngestController,
    GenericIngestController,
  ],
  providers: [IngestService],
})
export class ChannelApiModule {}
