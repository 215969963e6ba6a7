import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { insertedId } from '../database/bigint.js';
import { forUpdate } from '../database/locking.js';
import { CHANNEL_STATUSES, ChannelEntity, type ChannelStatus } from './channel.entity.js';

export type NewChannel = Omit<ChannelEntity, 'id'>;

/** A channel as created: idle, with no session yet. */
export function newIdleChannel(
  fields: Pick<ChannelEntity, 'name' | 'description' | 'reconnectWindow' | 'streamKey'>,
  now: Date,
): NewChannel {
  return {
    ...fields,
    status: 'idle',
    sessionId: null,
    liveAt: null,
    stoppedAt: null,
    endedAt: null,
    endDueAt: null,
    createdAt: now,
    updatedAt: now,
  };
}
export type ChannelChanges = Partial<Omit<ChannelEntity, 'id' | 'createdAt'>>;

/**
 * All SQL of the channel table: reads, row locks, and the guarded update every transition is.
 * Methods that write take the caller's transaction.
 */
@Injectable()
export class ChannelRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(manager: EntityManager, channel: NewChannel): Promise<string> {
    const inserted = await manager.insert(ChannelEntity, channel);
    return insertedId(inserted);
  }

  findById(id: string): Promise<ChannelEntity | null> {
    return this.dataSource.manager.findOneBy(ChannelEntity, { id });
  }

  /** One page, oldest first, optionally of one status; and the count of all matches. */
  page(
    status: ChannelStatus | undefined,
    offset: number,
    limit: number,
  ): Promise<[ChannelEntity[], number]> {
    return this.dataSource.manager.findAndCount(ChannelEntity, {
      where: status ? { status } : {},
      order: { id: 'ASC' },
      skip: offset,
      take: limit,
    });
  }

  async streamKeyOf(id: string): Promise<string | undefined> {
    const channel = await this.dataSource.manager
      .createQueryBuilder(ChannelEntity, 'channel')
      .addSelect('channel.streamKey')
      .where('channel.id = :id', { id })
      .getOne();
    return channel?.streamKey;
  }

  /** Locks the channel row for the caller's transaction. */
  lockById(manager: EntityManager, id: string): Promise<ChannelEntity | null> {
    return forUpdate(
      manager.createQueryBuilder(ChannelEntity, 'channel').where('channel.id = :id', { id }),
    ).getOne();
  }

  /** Locks the channel whose stream key this is; null for an unknown (or rotated-out) key. */
  lockByStreamKey(manager: EntityManager, streamKey: string): Promise<ChannelEntity | null> {
    if (streamKey === '' || streamKey.length > 64) return Promise.resolve(null);
    return forUpdate(
      manager
        .createQueryBuilder(ChannelEntity, 'channel')
        .where('channel.stream_key = :streamKey', { streamKey }),
    ).getOne();
  }

  /**
   * Stopped channels whose reconnect window ran out by `now`, oldest due first, locked; rows
   * another instance holds are skipped (MySQL), so several can scan at once.
   */
  lockDueStopped(manager: EntityManager, now: Date, limit: number): Promise<ChannelEntity[]> {
    return forUpdate(
      manager
        .createQueryBuilder(ChannelEntity, 'channel')
        .where('channel.status = :status', { status: 'stopped' })
        .andWhere('channel.end_due_at <= :now', { now })
        .orderBy('channel.end_due_at', 'ASC')
        .limit(limit),
      { skipLocked: true },
    ).getMany();
  }

  async update(manager: EntityManager, id: string, changes: ChannelChanges): Promise<void> {
    await manager.update(ChannelEntity, { id }, changes);
  }

  /** The guarded update of a transition: changes the row only while it is still in `from`. */
  async transition(
    manager: EntityManager,
    id: string,
    from: ChannelStatus,
    changes: ChannelChanges,
  ): Promise<boolean> {
    const updated = await manager
      .createQueryBuilder()
      .update(ChannelEntity)
      .set(changes)
      .where('id = :id AND status = :from', { id, from })
      .execute();
    return updated.affected === 1;
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(ChannelEntity, { id });
  }

  /** How many channels are in each status. */
  async countByStatus(): Promise<Record<ChannelStatus, number>> {
    const rows = await this.dataSource.manager
      .createQueryBuilder(ChannelEntity, 'channel')
      .select('channel.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .groupBy('channel.status')
      .getRawMany<{ status: ChannelStatus; count: string | number }>();
    const counts = Object.fromEntries(CHANNEL_STATUSES.map((status) => [status, 0])) as Record<
      ChannelStatus,
      number
    >;
    for (const row of rows) counts[row.status] = Number(row.count);
    return counts;
  }
}
