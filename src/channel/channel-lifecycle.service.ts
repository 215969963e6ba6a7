import { ConflictException, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ChannelEventEntity } from '../channel-events/channel-event.entity.js';
import { ChannelEventBus, type ChannelEventRecorded } from '../channel-events/channel-events.js';
import type { ChannelEventName } from '../common/channel-event-name.js';
import { forUpdate } from '../database/locking.js';
import { Transactions } from '../database/transactions.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ChannelEntity, type ChannelStatus } from './channel.entity.js';
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
    private readonly bus: ChannelEventBus,
    private readonly metrics: MetricsService,
  ) {}

  /** A publisher connected: idle/ended → live (new session), stopped → live (same session). */
  async publish(streamKey: string, now = new Date()): Promise<TransitionResult<PublishOutcome>> {
    return this.commitAndEmit(async (manager) => {
      let channel = await this.lockByStreamKey(manager, streamKey);
      if (!channel) return { outcome: 'unknown-key', events: [] };
      const channelId = String(channel.id);
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
      const live = await this.transition(
        manager,
        channel,
        'live',
        'channel_live',
        now,
        now.getTime(),
        {
          sessionId: reconnecting ? channel.sessionId : randomUUID(),
          liveAt: reconnecting ? channel.liveAt : now,
          stoppedAt: reconnecting ? channel.stoppedAt : null,
          endDueAt: null,
        },
      );
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
      const channel = await this.lockByStreamKey(manager, streamKey);
      if (!channel) return { outcome: 'unknown-key', events: [] };
      const channelId = String(channel.id);
      if (channel.status !== 'live') return { outcome: 'not-live', channelId, events: [] };
      const stopped = await this.transition(
        manager,
        channel,
        'stopped',
        'channel_stop',
        now,
        now.getTime(),
        {
          stoppedAt: now,
          endDueAt: new Date(now.getTime() + channel.reconnectWindow * 1000),
        },
      );
      return { outcome: 'stopped', channelId, events: [stopped.event] };
    });
  }

  /**
   * Ends the live session of a channel the caller holds locked (POST /end, DELETE);
   * 409 unless it is live or stopped.
   */
  async endLocked(manager: EntityManager, channel: ChannelEntity, now: Date) {
    if (channel.status !== 'live' && channel.status !== 'stopped') {
      throw new ConflictException(
        `channel "${String(channel.id)}" is ${channel.status}, not live or stopped`,
      );
    }
    return this.endSession(manager, channel, now);
  }

  /**
   * Ends stopped channels whose reconnect window has run out, each with eventTime = when it fell
   * due. SKIP LOCKED on MySQL lets several instances scan at once; the guard makes it happen once.
   */
  async expireDue(now = new Date(), limit = 100): Promise<number> {
    const result = await this.commitAndEmit(async (manager) => {
      const due = await forUpdate(
        manager
          .createQueryBuilder(ChannelEntity, 'channel')
          .where('channel.status = :status', { status: 'stopped' })
          .andWhere('channel.end_due_at <= :now', { now })
          .orderBy('channel.end_due_at', 'ASC')
          .limit(limit),
        { skipLocked: true },
      ).getMany();
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
    return this.transition(
      manager,
      channel,
      'ended',
      'channel_ended',
      new Date(),
      endedAt.getTime(),
      {
        endedAt,
        endDueAt: null,
      },
    );
  }

  private async lockByStreamKey(
    manager: EntityManager,
    streamKey: string,
  ): Promise<ChannelEntity | null> {
    if (streamKey === '' || streamKey.length > 64) return null;
    return forUpdate(
      manager
        .createQueryBuilder(ChannelEntity, 'channel')
        .where('channel.stream_key = :streamKey', { streamKey }),
    ).getOne();
  }

  /** The conditional update and its outbox row; the snapshot is the channel as GET shows it now. */
  private async transition(
    manager: EntityManager,
    channel: ChannelEntity,
    to: 'live' | 'stopped' | 'ended',
    eventName: ChannelEventName,
    now: Date,
    eventTime: number,
    changes: Partial<ChannelEntity>,
  ): Promise<{ channel: ChannelEntity; event: ChannelEventRecorded }> {
    if (!FROM[to].includes(channel.status)) {
      throw new Error(`no transition from ${channel.status} to ${to}`);
    }
    const set = { ...changes, status: to, updatedAt: now };
    const updated = await manager
      .createQueryBuilder()
      .update(ChannelEntity)
      .set(set)
      .where('id = :id AND status = :from', { id: channel.id, from: channel.status })
      .execute();
    if (updated.affected !== 1) {
      throw new Error(
        `channel ${String(channel.id)} changed under its lock (${channel.status} → ${to})`,
      );
    }
    const next = Object.assign(new ChannelEntity(), channel, set);
    const body = JSON.stringify({ event: eventName, eventTime, ...toChannelDto(next) });
    const inserted = await manager.insert(ChannelEventEntity, {
      name: eventName,
      channelId: String(channel.id),
      sessionId: next.sessionId,
      eventTime,
      body,
      dispatchedAt: null,
      createdAt: now,
    });
    const event: ChannelEventRecorded = {
      eventId: String(inserted.identifiers[0].id),
      name: eventName,
      channelId: String(channel.id),
      sessionId: next.sessionId,
      eventTime,
    };
    return { channel: next, event };
  }
}
