import { ChannelEventEntity } from '../channel-events/channel-event.entity.js';
import {
  DeliveryAttemptEntity,
  DeliveryEntity,
} from '../channel-events/delivery/delivery.entity.js';
import { ChannelEntity } from '../channel/channel.entity.js';
import { WebhookEntity, WebhookEventEntity } from '../webhook/webhook.entity.js';

export const ENTITIES = [
  WebhookEntity,
  WebhookEventEntity,
  ChannelEntity,
  ChannelEventEntity,
  DeliveryEntity,
  DeliveryAttemptEntity,
];
