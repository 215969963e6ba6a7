import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChannelEventEntity } from './channel-event.entity.js';
import { ChannelEventBus } from './channel-events.js';

/**
 * Owns the event names' payloads, the outbox entity that channel transitions write into, and
 * (from there on) the fan-out and delivery of those events to webhooks.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ChannelEventEntity])],
  providers: [ChannelEventBus],
  exports: [ChannelEventBus, TypeOrmModule],
})
export class ChannelEventsModule {}
