import { Module } from '@nestjs/common';
import { WebhookModule } from './webhook.module.js';
import { WebhookSecretExpiry } from './webhook-secret-expiry.js';

/** The webhooks' background work (erasing rotated-out secrets), in processes that run the worker. */
@Module({ imports: [WebhookModule], providers: [WebhookSecretExpiry] })
export class WebhookJobsModule {}
