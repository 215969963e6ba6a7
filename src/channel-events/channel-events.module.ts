import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookModule } from '../webhook/webhook.module.js';
import { ChannelEventEntity } from './channel-event.entity.js';
import { ChannelEventsDispatcher } from './channel-events.dispatcher.js';
import { ChannelEventBus } from './channel-events.js';
import { DeliveryController } from './delivery/delivery.controller.js';
import { DeliveryAttemptEntity, DeliveryEntity } from './delivery/delivery.entity.js';
import { DeliveryQueue } from './delivery/delivery.queue.js';
import { DeliverySender } from './delivery/delivery.sender.js';
import { DeliveryService } from './delivery/delivery.service.js';
import { DeliveryWorker } from './delivery/delivery.worker.js';

/**
 * Owns the event names' payloads and the outbox entity that channel transitions write into, and
 * turns those events into signed, retried, ordered deliveries to webhooks.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([ChannelEventEntity, DeliveryEntity, DeliveryAttemptEntity]),
    HttpModule.register({}),
    WebhookModule,
  ],
  controllers: [DeliveryController],
  providers: [
    ChannelEventBus,
    ChannelEventsDispatcher,
    DeliveryQueue,
    DeliverySender,
    DeliveryService,
    DeliveryWorker,
  ],
  exports: [ChannelEventBus, TypeOrmModule, DeliveryQueue, DeliveryWorker],
})
export class ChannelEventsModule {}
