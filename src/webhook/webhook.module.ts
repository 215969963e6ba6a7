import { Module } from '@nestjs/common';
import { DestinationModule } from '../destination/destination.module.js';
import { WebhookDirectory } from './webhook-directory.js';
import { WebhookRepository } from './webhook.repository.js';
import { WebhookHealthWrites } from './webhook-health.writes.js';
import { WebhookService } from './webhook.service.js';

/**
 * Webhook subscriptions: the service behind the REST API, and the repository that delivery asks
 * who wants an event, where to send it, how to sign it and how each webhook is faring. The API
 * itself is WebhookApiModule's; the erasure of expired secrets, WebhookJobsModule's.
 */
@Module({
  imports: [DestinationModule],
  providers: [WebhookService, WebhookRepository, WebhookHealthWrites, WebhookDirectory],
  exports: [WebhookService, WebhookRepository, WebhookHealthWrites, WebhookDirectory],
})
export class WebhookModule {}
