/**
 * The channel events a webhook can subscribe to: the one typed place every module shares.
 * `all` is not an event; it stands for every event, including ones added later.
 */
export const CHANNEL_EVENT_NAMES = ['channel_live', 'channel_stop', 'channel_ended'] as const;

export type ChannelEventName = (typeof CHANNEL_EVENT_NAMES)[number];

export const ALL_EVENTS = 'all';

/** What a webhook stores: event names, or the single wildcard. */
export type EventSubscription = ChannelEventName | typeof ALL_EVENTS;

/**
 * The event of a test delivery (POST /v1/webhook/{id}/test): not a channel event, and no webhook
 * subscribes to it. It is sent whatever the webhook's state, left out of its health and of
 * recovery.
 */
export const PING_EVENT = 'ping';

export function isChannelEventName(name: string): name is ChannelEventName {
  return (CHANNEL_EVENT_NAMES as readonly string[]).includes(name);
}
