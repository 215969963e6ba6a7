import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In, IsNull, LessThan } from 'typeorm';
import type { ChannelEventName } from '../common/channel-event-name.js';
import { insertedId } from '../database/bigint.js';
import { forUpdate } from '../database/locking.js';
import { ChannelEventEntity } from './channel-event.entity.js';

export interface NewChannelEvent {
  name: ChannelEventName;
  channelId: string;
  sessionId: string | null;
  eventTime: number;
  /** The exact JSON body every callback of this event sends. */
  body: string;
  createdAt: Date;
}

/** The outbox table: written by channel transitions, read and marked by the fan-out. */
@Injectable()
export class ChannelEventRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records an event in the caller's transaction (the one that changes the channel). */
  async append(manager: EntityManager, event: NewChannelEvent): Promise<string> {
    const inserted = await manager.insert(ChannelEventEntity, { ...event, dispatchedAt: null });
    return insertedId(inserted);
  }

  /**
   * A channel's events not yet fanned out, oldest first (up to `upToEventId`), locked for the
   * caller's transaction: two fan-outs of one channel take turns, in event order.
   */
  lockUndispatched(
    manager: EntityManager,
    channelId: string,
    limit: number,
    upToEventId?: string,
  ): Promise<ChannelEventEntity[]> {
    const builder = manager
      .createQueryBuilder(ChannelEventEntity, 'event')
      .where('event.channel_id = :channelId', { channelId })
      .andWhere('event.dispatched_at IS NULL')
      .orderBy('event.id', 'ASC')
      .limit(limit);
    if (upToEventId !== undefined) builder.andWhere('event.id <= :upToEventId', { upToEventId });
    return forUpdate(builder).getMany();
  }

  async markDispatched(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.update(ChannelEventEntity, { id }, { dispatchedAt: at });
  }

  /** Channels with events recorded before `before` and still not fanned out, oldest first. */
  async undispatchedChannels(before: Date, limit: number): Promise<string[]> {
    const rows = await this.dataSource.manager.find(ChannelEventEntity, {
      select: { channelId: true, id: true },
      where: { dispatchedAt: IsNull(), createdAt: LessThan(before) },
      order: { id: 'ASC' },
      take: limit,
    });
    return [...new Set(rows.map((row) => row.channelId))];
  }

  /** The stored callback bodies of these events, by id. */
  async bodies(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.dataSource.manager.find(ChannelEventEntity, {
      select: { id: true, body: true },
      where: { id: In(ids) },
    });
    return new Map(rows.map((row) => [row.id, row.body]));
  }
}
