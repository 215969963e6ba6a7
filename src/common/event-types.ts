import {
  CHANNEL_EVENT_NAMES,
  type ChannelEventName,
  OPERATIONAL_EVENT_NAMES,
  PING_EVENT,
} from './channel-event-name.js';

/** Every event a receiver can get: the event catalog's names, in its order. */
export const EVENT_TYPE_NAMES = [
  ...CHANNEL_EVENT_NAMES,
  PING_EVENT,
  ...OPERATIONAL_EVENT_NAMES,
] as const;

export type EventTypeName = (typeof EVENT_TYPE_NAMES)[number];

export function isEventTypeName(name: unknown): name is EventTypeName {
  return typeof name === 'string' && (EVENT_TYPE_NAMES as readonly string[]).includes(name);
}

/** What each event means: the catalog's descriptions and the OpenAPI `webhooks` summaries. */
export const EVENT_DESCRIPTIONS: Record<EventTypeName, string> = {
  channel_live:
    'The channel went live: a publisher started (or came back within the reconnect window)',
  channel_stop: 'The publisher stopped sending; the channel waits reconnectWindow seconds',
  channel_ended: 'The live session is over (ended explicitly, or nobody came back in time)',
  ping: 'A test callback sent by POST /v1/webhook/{webhookId}/test',
  webhook_failing:
    "Another webhook's attempts have failed for WEBHOOK_FAILING_AFTER (once per failing run)",
  webhook_recovered: 'A webhook told of as failing succeeded again: its failing run is over',
  webhook_disabled:
    'A webhook was made inactive by the service: its receiver answered 410 Gone, or it failed for WEBHOOK_DISABLE_AFTER',
  delivery_exhausted: "A delivery to another webhook failed its last attempt: it won't be retried",
};

const T = Date.parse('2026-11-27T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** A channel as the examples show it, after each event. */
const CHANNEL_AFTER: Record<ChannelEventName, Record<string, unknown>> = {
  channel_live: { status: 'live', stoppedAt: null, endedAt: null, updatedAt: iso(T) },
  channel_stop: {
    status: 'stopped',
    stoppedAt: iso(T + 3_600_000),
    endedAt: null,
    updatedAt: iso(T + 3_600_000),
  },
  channel_ended: {
    status: 'ended',
    stoppedAt: iso(T + 3_600_000),
    endedAt: iso(T + 3_660_000),
    updatedAt: iso(T + 3_660_000),
  },
};
const EVENT_TIME: Record<ChannelEventName, number> = {
  channel_live: T,
  channel_stop: T + 3_600_000,
  channel_ended: T + 3_660_000,
};

/**
 * An example body of each event, as a receiver gets it (a test sends it, with `eventTime` now and,
 * for `ping`, the webhook's own id).
 */
export function eventExample(name: EventTypeName): Record<string, unknown> {
  if (name === PING_EVENT) return { event: PING_EVENT, eventTime: T, webhookId: '123456' };
  const about = { id: '123456', uri: 'https://app.example.com/hooks/live' };
  const failingSince = iso(T - 1_800_000);
  switch (name) {
    case 'webhook_failing':
      return { event: name, eventTime: T, webhook: about, failingSince, lastError: 'HTTP 500' };
    case 'webhook_recovered':
      return { event: name, eventTime: T, webhook: about, failingSince, lastError: null };
    case 'webhook_disabled':
      return {
        event: name,
        eventTime: T,
        webhook: about,
        reason: 'the receiver answered 410 Gone',
        lastError: 'HTTP 410',
      };
    case 'delivery_exhausted':
      return {
        event: name,
        eventTime: T,
        webhook: about,
        delivery: {
          id: '981',
          event: 'channel_live',
          channelId: '42',
          messageId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
        },
        attempts: 8,
        lastError: 'HTTP 500',
      };
  }
  return {
    event: name,
    eventTime: EVENT_TIME[name],
    sequence: CHANNEL_EVENT_NAMES.indexOf(name) + 1,
    id: '42',
    name: 'Morning show',
    description: null,
    reconnectWindow: 60,
    sessionId: '0b6c1b6e-5f4d-4f0e-9a3c-7d2e8c1f4a90',
    liveAt: iso(T),
    createdAt: iso(T - 86_400_000),
    ...CHANNEL_AFTER[name],
  };
}
