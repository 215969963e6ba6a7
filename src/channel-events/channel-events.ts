import { applyDecorators, Injectable } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import type { ChannelEventName } from '../common/channel-event-name.js';

/** What the in-process emitter carries for a channel event; the outbox row holds the rest. */
export interface ChannelEventRecorded<K extends ChannelEventName = ChannelEventName> {
  /** The outbox row (channel_event.id). */
  eventId: string;
  name: K;
  channelId: string;
  sessionId: string | null;
  /** ms since the epoch. */
  eventTime: number;
  /** The exact JSON body every callback of this event sends (as stored in the outbox). */
  body: string;
  /** The W3C traceparent of the transition that recorded it, with tracing on. */
  traceParent: string | null;
}

/**
 * The topic of a channel event on the event emitter: the service's own namespace, so that a host
 * app's listeners of its own `channel_live` never hear the service's, nor the other way round.
 */
export const topicOf = (name: ChannelEventName): string => `channel-webhooks:${name}`;

/** The typed event map: one topic per channel event, used by both emit and @OnEvent. */
export type ChannelEventMap = { [K in ChannelEventName]: ChannelEventRecorded<K> };

/** Emits channel events with the payload their topic promises. */
@Injectable()
export class ChannelEventBus {
  constructor(private readonly emitter: EventEmitter2) {}

  emit<K extends keyof ChannelEventMap>(name: K, payload: ChannelEventMap[K]): void {
    this.emitter.emit(topicOf(name), payload);
  }

  emitAsync<K extends keyof ChannelEventMap>(
    name: K,
    payload: ChannelEventMap[K],
  ): Promise<unknown[]> {
    return this.emitter.emitAsync(topicOf(name), payload);
  }
}

/** Listens to channel events by their typed names; the handler's argument is ChannelEventMap[K]. */
export function OnChannelEvent<K extends keyof ChannelEventMap>(...names: K[]): MethodDecorator {
  // One OnEvent per name: EventEmitter2 would read an array as one namespaced event.
  return applyDecorators(
    ...names.map((name) => OnEvent(topicOf(name), { async: true, promisify: true })),
  );
}
