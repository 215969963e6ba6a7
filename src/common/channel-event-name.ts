/**
 * The channel events a webhook can subscribe to: the one typed place every module shares.
 * `all` is not an event; it stands for every event, including ones added later.
 */
export const CHANNEL_EVENT_NAMES = ['channel_live', 'channel_stop', 'channel_ended'] as const;

export type ChannelEventName = (typeof CHANNEL_EVENT_NAMES)[number];

export const ALL_EVENTS = 'all';

/**
 * The operational events, for the people who run the subscriptions: about a webhook's health and
 * a delivery that failed for good. Subscribed to by name only: `all` is the channel events.
 */
export const OPERATIONAL_EVENT_NAMES = [
  'webhook_failing',
  'webhook_recovered',
  'webhook_disabled',
  'delivery_exhausted',
] as const;

export type OperationalEventName = (typeof OPERATIONAL_EVENT_NAMES)[number];

/** Every event a webhook can subscribe to by name. */
export type SubscribableEventName = ChannelEventName | OperationalEventName;

/** What a webhook stores: event names, or the single wildcard. */
export type EventSubscription = SubscribableEventName | typeof ALL_EVENTS;

/**
 * The event of a test delivery (POST /v1/webhook/{id}/test): not a channel event, and no webhook
 * subscribes to it. It is sent whatever the webhook's state, left out of its health and of
 * recovery.
 */
export const PING_EVENT = 'ping';

export function isChannelEventName(name: string): name is ChannelEventName {
  return (CHANNEL_EVENT_NAMES as readonly string[]).includes(name);
}

export function isOperationalEventName(name: string): name is OperationalEventName {
  return (OPERATIONAL_EVENT_NAMES as readonly string[]).includes(name);
}

export function isSubscribableEventName(name: string): name is SubscribableEventName {
  return isChannelEventName(name) || isOperationalEventName(name);
}
