import { Module } from '@nestjs/common';
import { ChannelExpiryService } from './channel-expiry.service.js';
import { ChannelModule } from './channel.module.js';

/**
 * The channels' background work (ending channels whose reconnect window ran out, stopping stale
 * ones), in processes that run the worker.
 */
@Module({ imports: [ChannelModule], providers: [ChannelExpiryService] })
export class ChannelJobsModule {}
