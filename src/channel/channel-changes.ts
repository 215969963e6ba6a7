import type { NewChannelEvent } from '../channel-events/channel-event.repository.js';
import type { ChannelEventName } from '../common/channel-event-name.js';
import { ChannelEntity, type ChannelStatus } from './channel.entity.js';
import type { ChannelChanges, SavedTransition } from './channel.repository.js';
import { toChannelDto } from './channel-view.js';

/** Which states each transition leaves from. */
const FROM: Record<'live' | 'stopped' | 'ended', ChannelStatus[]> = {
  live: ['idle', 'ended', 'stopped'],
  stopped: ['live'],
  ended: ['live', 'stopped'],
};

/** The event each transition raises. */
const EVENT_OF: Record<'live' | 'stopped' | 'ended', ChannelEventName> = {
  live: 'channel_live',
  stopped: 'channel_stop',
  ended: 'channel_ended',
};

/**
 * A unit of work's transitions: the channels as they end up (and the state each left from), and
 * the events, in the order they happened. Written with one UPDATE and one INSERT.
 */
export class Changes {
  readonly channels = new Map<string, SavedTransition>();
  readonly events: NewChannelEvent[] = [];

  /** The channel as this unit of work has left it so far. */
  current(channel: ChannelEntity): ChannelEntity {
    return this.channels.get(channel.id)?.channel ?? channel;
  }

  /** One transition: the state change and its outbox event (the channel as GET shows it now). */
  apply(
    channel: ChannelEntity,
    to: 'live' | 'stopped' | 'ended',
    now: Date,
    eventTime: number,
    changes: ChannelChanges,
  ): ChannelEntity {
    const from = this.current(channel);
    if (!FROM[to].includes(from.status))
      throw new Error(`no transition from ${from.status} to ${to}`);
    if (from.eventSequence === undefined)
      throw new Error(`channel ${channel.id} was read without its event sequence`);
    const sequence = from.eventSequence + 1;
    const next = Object.assign(new ChannelEntity(), from, changes, {
      status: to,
      updatedAt: now,
      eventSequence: sequence,
    });
    const original = this.channels.get(channel.id)?.from ?? channel.status;
    this.channels.set(channel.id, { channel: next, from: original });
    const name = EVENT_OF[to];
    this.events.push({
      name,
      channelId: channel.id,
      sessionId: next.sessionId,
      eventTime,
      sequence,
      body: JSON.stringify({ event: name, eventTime, sequence, ...toChannelDto(next) }),
      createdAt: now,
    });
    return next;
  }
}
