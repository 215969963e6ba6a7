import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ChannelEventRepository } from '../channel-events/channel-event.repository.js';
import { ChannelEventBus, type ChannelEventRecorded } from '../channel-events/channel-events.js';
import type { ChannelEventName } from '../common/channel-event-name.js';
import { conflict } from '../common/errors.js';
import { Transactions } from '../database/transactions.js';
import { ChannelMetrics } from './channel.metrics.js';
import { ChannelEntity, type ChannelStatus } from './channel.entity.js';
import { type ChannelChanges, ChannelRepository } from './channel.repository.js';
import { toChannelDto } from './channel-view.js';

export type PublishOutcome = 'live' | 'unknown-key' | 'already-live';
export type UnpublishOutcome = 'stopped' | 'unknown-key' | 'not-live';

export interface TransitionResult<O extends string> {
  outcome: O;
  channelId?: string;
  events: ChannelEventRecorded[];
}

/** Which states each transition leaves from (the conditional update's guard). */
const FROM: Record<'live' | 'stopped' | 'ended', ChannelStatus[]> = {
  live: ['idle', 'ended', 'stopped'],
  stopped: ['live'],
  ended: ['live', 'stopped'],
};

/**
 * The channel state machine of channels.md. Every transition is a conditional UPDATE (guarded by
 * the state it leaves) plus its outbox row, in one transaction on a locked row; events are
 * emitted in-process only after the commit. A repeated or late hook changes nothing.
 */
@Injectable()
export class ChannelLifecycleService {
  private readonly logger = new Logger('ChannelLifecycle');

  constructor(
    private readonly transactions: Transactions,
    private readonly channels: ChannelRepository,
    private readonly outbox: ChannelEventRepository,
    private readonly bus: ChannelEventBus,
    private readonly metrics: ChannelMetrics,
  ) {}

  /** A publisher connected: idle/ended → live (new session), stopped → live (same session). */
  async publish(streamKey: string, now = new Date()): Promise<TransitionResult<PublishOutcome>> {
    return this.commitAndEmit(async (manager) => {
      let channel = await this.channels.lockByStreamKey(manager, streamKey);
      if (!channel) return { outcome: 'unknown-key', events: [] };
      const channelId = channel.id;
      if (channel.status === 'live') return { outcome: 'already-live', channelId, events: [] };
      const events: ChannelEventRecorded[] = [];
      if (
        channel.status === 'stopped' &&
        channel.endDueAt &&
        channel.endDueAt.getTime() <= now.getTime()
      ) {
        // The window ran out before the expiry scan got to it: that session ended when it fell due.
        const ended = await this.endSession(manager, channel, channel.endDueAt);
        channel = ended.channel;
        events.push(ended.event);
      }
      const reconnecting = channel.status === 'stopped';
      const live = await this.transition(manager, channel, 'live', now, now.getTime(), {
        sessionId: reconnecting ? channel.sessionId : randomUUID(),
        liveAt: reconnecting ? channel.liveAt : now,
        stoppedAt: reconnecting ? channel.stoppedAt : null,
        endDueAt: null,
      });
      events.push(live.event);
      return { outcome: 'live', channelId, events };
    });
  }

  /** The publisher left: live → stopped, and the reconnect window starts. */
  async unpublish(
    streamKey: string,
    now = new Date(),
  ): Promise<TransitionResult<UnpublishOutcome>> {
    return this.commitAndEmit(async (manager) => {
      const channel = await this.channels.lockByStreamKey(manager, streamKey);
      if (!channel) return { outcome: 'unknown-key', events: [] };
      const channelId = channel.id;
      if (channel.status !== 'live') return { outcome: 'not-live', channelId, events: [] };
      const stopped = await this.transition(manager, channel, 'stopped', now, now.getTime(), {
        stoppedAt: now,
        endDueAt: new Date(now.getTime() + channel.reconnectWindow * 1000),
      });
      return { outcome: 'stopped', channelId, events: [stopped.event] };
    });
  }

  /**
   * Ends the live session of a channel the caller holds locked (POST /end, DELETE);
   * a conflict unless it is live or stopped.
   */
  async endLocked(manager: EntityManager, channel: ChannelEntity, now: Date) {
    if (channel.status !== 'live' && channel.status !== 'stopped') {
      throw conflict(`channel "${channel.id}" is ${channel.status}, not live or stopped`);
    }
    return this.endSession(manager, channel, now);
  }

  /**
   * Ends stopped channels whose reconnect window has run out, each with eventTime = when it fell
   * due. SKIP LOCKED on MySQL lets several instances scan at once; the guard makes it happen once.
   */
  async expireDue(now = new Date(), limit = 100): Promise<number> {
    const result = await this.commitAndEmit(async (manager) => {
      const due = await this.channels.lockDueStopped(manager, now, limit);
      const events: ChannelEventRecorded[] = [];
      for (const channel of due) {
        events.push((await this.endSession(manager, channel, channel.endDueAt ?? now)).event);
      }
      return { outcome: 'expired', events };
    });
    return result.events.length;
  }

  /** Runs a unit of work in a transaction, then emits what it recorded, in order. */
  async commitAndEmit<R extends { events: ChannelEventRecorded[] }>(
    work: (manager: EntityManager) => Promise<R>,
  ): Promise<R> {
    const result = await this.transactions.run(work);
    for (const event of result.events) {
      this.metrics.events.inc({ event: event.name });
      try {
        this.bus.emit(event.name, event);
      } catch (error) {
        // The outbox row is committed; the sweeper will dispatch it.
        this.logger.error(
          `In-process emit of event ${event.eventId} failed`,
          (error as Error).stack,
        );
      }
    }
    return result;
  }

  private endSession(manager: EntityManager, channel: ChannelEntity, endedAt: Date) {
    return this.transition(manager, channel, 'ended', new Date(), endedAt.getTime(), {
      endedAt,
      endDueAt: null,
    });
  }

  /** The conditional update and its outbox row; the snapshot is the channel as GET shows it now. */
  private async transition(
    manager: EntityManager,
    channel: ChannelEntity,
    to: 'live' | 'stopped' | 'ended',
    now: Date,
    eventTime: number,
    changes: ChannelChanges,
  ): Promise<{ channel: ChannelEntity; event: ChannelEventRecorded }> {
    if (!FROM[to].includes(channel.status)) {
      throw new Error(`no transition from ${channel.status} to ${to}`);
    }
    const set = { ...changes, status: to, updatedAt: now };
    if (!(await this.channels.transition(manager, channel.id, channel.status, set))) {
      throw new Error(`channel ${channel.id} changed under its lock (${channel.status} → ${to})`);
    }
    const next = Object.assign(new ChannelEntity(), channel, set);
    const name = EVENT_OF[to];
    const eventId = await this.outbox.append(manager, {
      name,
      channelId: channel.id,
      sessionId: next.sessionId,
      eventTime,
      body: JSON.stringify({ event: name, eventTime, ...toChannelDto(next) }),
      createdAt: now,
    });
    const event: ChannelEventRecorded = {
      eventId,
      name,
      channelId: channel.id,
      sessionId: next.sessionId,
      eventTime,
    };
    return { channel: next, event };
  }
}

/** The event each transition raises. */
const EVENT_OF: Record<'live' | 'stopped' | 'ended', ChannelEventName> = {
  live: 'channel_live',
  stopped: 'channel_stop',
  ended: 'channel_ended',
};
