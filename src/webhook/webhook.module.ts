import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DestinationModule } from '../destination/destination.module.js';
import { WebhookController } from './webhook.controller.js';
import { WebhookDirectory } from './webhook-directory.js';
import { WebhookEntity, WebhookEventEntity } from './webhook.entity.js';
import { WebhookRepository } from './webhook.repository.js';
import { WebhookHealthWrites } from './webhook-health.writes.js';
import { WebhookService } from './webhook.service.js';
import { WebhookSecretExpiry } from './webhook-secret-expiry.js';

/**
 * Webhook subscriptions: the REST API, and the repository that delivery asks who wants an event,
 * where to send it, how to sign it and how each webhook is faring.
 */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEntity, WebhookEventEntity]), DestinationModule],
  controllers: [WebhookController],
  providers: [
    WebhookService,
    WebhookRepository,
    WebhookHealthWrites,
    WebhookDirectory,
    WebhookSecretExpiry,
  ],
  exports: [WebhookService, WebhookRepository, WebhookHealthWrites, WebhookDirectory],
})
export class WebhookModule {}
