import { Module } from '@nestjs/common';
import { WebhookController } from './webhook.controller.js';
import { WebhookModule } from './webhook.module.js';

/** The webhooks' REST API, in processes that serve the API. */
@Module({ imports: [WebhookModule], controllers: [WebhookController] })
export class WebhookApiModule {}
