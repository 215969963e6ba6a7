import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChannelEventsModule } from '../channel-events/channel-events.module.js';
import { ChannelExpiryService } from './channel-expiry.service.js';
import { ChannelLifecycleService } from './channel-lifecycle.service.js';
import { ChannelController } from './channel.controller.js';
import { ChannelEntity } from './channel.entity.js';
import { ChannelService } from './channel.service.js';
import {
  GenericIngestController,
  NginxRtmpIngestController,
  SrsIngestController,
} from './ingest/ingest.controller.js';
import { IngestService } from './ingest/ingest.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([ChannelEntity]), ChannelEventsModule],
  controllers: [
    ChannelController,
    NginxRtmpIngestController,
    SrsIngestController,
    GenericIngestController,
  ],
  providers: [ChannelService, ChannelLifecycleService, ChannelExpiryService, IngestService],
  exports: [ChannelService, IngestService],
})
export class ChannelModule {}
