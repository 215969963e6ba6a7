import { ChannelEventEntity } from './channel-events/channel-event.entity.js';
import { ChannelEntity } from './channel/channel.entity.js';
import { DeliveryAttemptEntity, DeliveryEntity } from './delivery/delivery.entity.js';
import { WebhookEntity, WebhookEventEntity } from './webhook/webhook.entity.js';

/** Every table the service maps: its own connection's, or the ones a host's connection must map. */
export const ENTITIES = [
  WebhookEntity,
  WebhookEventEntity,
  ChannelEntity,
  ChannelEventEntity,
  DeliveryEntity,
  DeliveryAttemptEntity,
];
