import { Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ChannelEventRepository } from './channel-event.repository.js';
import { ChannelEventBus } from './channel-events.js';

/**
 * The core between channels and delivery: the event names' payloads, the typed bus and the outbox
 * that channel transitions write into. It knows nothing of who produces or consumes events.
 */
@Module({
  imports: [
    // Only the bus emits; listeners are found by @OnEvent wherever they are.
    EventEmitterModule.forRoot({ global: false }),
  ],
  providers: [ChannelEventBus, ChannelEventRepository],
  exports: [ChannelEventBus, ChannelEventRepository],
})
export class ChannelEventsModule {}
