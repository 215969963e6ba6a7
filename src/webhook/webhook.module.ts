import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DestinationModule } from '../destination/destination.module.js';
import { WebhookController } from './webhook.controller.js';
import { WebhookEntity, WebhookEventEntity } from './webhook.entity.js';
import { WebhookService } from './webhook.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([WebhookEntity, WebhookEventEntity]), DestinationModule],
  controllers: [WebhookController],
  providers: [WebhookService],
  exports: [WebhookService],
})
export class WebhookModule {}
