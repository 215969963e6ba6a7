import { WebhookEntity, WebhookEventEntity } from '../webhook/webhook.entity.js';

export const ENTITIES = [WebhookEntity, WebhookEventEntity];
