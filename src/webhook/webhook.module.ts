import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhookController } from './webhook.controller.js';
import { WebhookEntity, WebhookEventEntity } from './webhook.entity.js';
import { WebhookService } from './webhook.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([WebhookEntity, WebhookEventEntity])],
  controllers: [WebhookController],
  providers: [WebhookService],
  exports: [WebhookService],
})
export class WebhookModule {}
