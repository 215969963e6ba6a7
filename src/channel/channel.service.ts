import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { checkResourceId, notFound } from '../common/resource-id.js';
import { type Page, type PageQueryDto, toPage } from '../common/paging.dto.js';
import { forUpdate } from '../database/locking.js';
import { Transactions } from '../database/transactions.js';
import { ChannelLifecycleService } from './channel-lifecycle.service.js';
import { toChannelDto } from './channel-view.js';
import { ChannelEntity, type ChannelStatus } from './channel.entity.js';
import { DEFAULT_RECONNECT_WINDOW } from './dto/channel-request.dto.js';
import type { ChannelDto, CreatedChannelDto } from './dto/channel-response.dto.js';
import { generateStreamKey } from './stream-key.js';

export interface CreateChannelInput {
  name: string;
  description?: string | null;
  reconnectWindow?: number;
}

export type UpdateChannelInput = Partial<CreateChannelInput>;

/** Channels: the REST resource. State changes go through ChannelLifecycleService. */
@Injectable()
export class ChannelService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly lifecycle: ChannelLifecycleService,
  ) {}

  async create(input: CreateChannelInput): Promise<CreatedChannelDto> {
    const now = new Date();
    const streamKey = generateStreamKey();
    const id = await this.transactions.run(async (manager) => {
      const inserted = await manager.insert(ChannelEntity, {
        name: input.name,
        description: input.description ?? null,
        status: 'idle',
        reconnectWindow: input.reconnectWindow ?? DEFAULT_RECONNECT_WINDOW,
        streamKey,
        sessionId: null,
        liveAt: null,
        stoppedAt: null,
        endedAt: null,
        endDueAt: null,
        createdAt: now,
        updatedAt: now,
      });
      return String(inserted.identifiers[0].id);
    });
    return { ...(await this.findOne(id)), streamKey };
  }

  async findOne(id: string): Promise<ChannelDto> {
    const channel = await this.dataSource.manager.findOneBy(ChannelEntity, {
      id: checkResourceId('channel', id),
    });
    if (!channel) throw notFound('channel', id);
    return toChannelDto(channel);
  }

  /** Oldest first, optionally one status. */
  async list(query: PageQueryDto & { status?: ChannelStatus }): Promise<Page<ChannelDto>> {
    const where = query.status ? { status: query.status } : {};
    const [channels, total] = await this.dataSource.manager.findAndCount(ChannelEntity, {
      where,
      order: { id: 'ASC' },
      skip: query.page * query.length,
      take: query.length,
    });
    return toPage(channels.map(toChannelDto), total, query);
  }

  async update(id: string, input: UpdateChannelInput): Promise<ChannelDto> {
    const channelId = checkResourceId('channel', id);
    if (
      input.name === undefined &&
      input.description === undefined &&
      input.reconnectWindow === undefined
    ) {
      throw new BadRequestException([
        'body must set at least one of name, description, reconnectWindow',
      ]);
    }
    await this.transactions.run(async (manager) => {
      const channel = await this.lockById(manager, channelId);
      const changes: Partial<ChannelEntity> = { updatedAt: new Date() };
      if (input.name !== undefined) changes.name = input.name;
      if (input.description !== undefined) changes.description = input.description;
      if (input.reconnectWindow !== undefined) {
        changes.reconnectWindow = input.reconnectWindow;
        // A stopped channel's window is measured from its stop with the new length.
        if (channel.status === 'stopped' && channel.stoppedAt) {
          changes.endDueAt = new Date(channel.stoppedAt.getTime() + input.reconnectWindow * 1000);
        }
      }
      await manager.update(ChannelEntity, { id: channelId }, changes);
    });
    return this.findOne(channelId);
  }

  /** Deletes the channel; a live or stopped one is ended first, and its channel_ended is sent. */
  async remove(id: string): Promise<void> {
    const channelId = checkResourceId('channel', id);
    await this.lifecycle.commitAndEmit(async (manager) => {
      const channel = await this.lockById(manager, channelId);
      const events = [];
      if (channel.status === 'live' || channel.status === 'stopped') {
        events.push((await this.lifecycle.endLocked(manager, channel, new Date())).event);
      }
      await manager.delete(ChannelEntity, { id: channelId });
      return { events };
    });
  }

  /** POST /end: ends the live session now (409 unless live or stopped). */
  async end(id: string): Promise<ChannelDto> {
    const channelId = checkResourceId('channel', id);
    const { channel } = await this.lifecycle.commitAndEmit(async (manager) => {
      const locked = await this.lockById(manager, channelId);
      const ended = await this.lifecycle.endLocked(manager, locked, new Date());
      return { channel: ended.channel, events: [ended.event] };
    });
    return toChannelDto(channel);
  }

  async getStreamKey(id: string): Promise<string> {
    const channel = await this.dataSource.manager
      .createQueryBuilder(ChannelEntity, 'channel')
      .addSelect('channel.streamKey')
      .where('channel.id = :id', { id: checkResourceId('channel', id) })
      .getOne();
    if (!channel) throw notFound('channel', id);
    return channel.streamKey;
  }

  /** A new stream key; the old one stops working at once. */
  async rotateStreamKey(id: string): Promise<string> {
    const channelId = checkResourceId('channel', id);
    const streamKey = generateStreamKey();
    await this.transactions.run(async (manager) => {
      await this.lockById(manager, channelId);
      await manager.update(ChannelEntity, { id: channelId }, { streamKey, updatedAt: new Date() });
    });
    return streamKey;
  }

  private async lockById(manager: EntityManager, id: string): Promise<ChannelEntity> {
    const channel = await forUpdate(
      manager.createQueryBuilder(ChannelEntity, 'channel').where('channel.id = :id', { id }),
    ).getOne();
    if (!channel) throw notFound('channel', id);
    return channel;
  }
}
