import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ChannelEventRecorded } from '../channel-events/channel-events.js';
import { notFound } from '../common/errors.js';
import { type Page, type PageQueryDto, toPage } from '../common/paging.dto.js';
import { Transactions } from '../database/transactions.js';
import { ChannelLifecycleService } from './channel-lifecycle.service.js';
import { toChannelDto } from './channel-view.js';
import type { ChannelEntity, ChannelStatus } from './channel.entity.js';
import { type ChannelChanges, ChannelRepository, newIdleChannel } from './channel.repository.js';
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
    private readonly channels: ChannelRepository,
    private readonly transactions: Transactions,
    private readonly lifecycle: ChannelLifecycleService,
  ) {}

  async create(input: CreateChannelInput): Promise<CreatedChannelDto> {
    const now = new Date();
    const streamKey = generateStreamKey();
    const id = await this.transactions.run((manager) =>
      this.channels.insert(
        manager,
        newIdleChannel(
          {
            name: input.name,
            description: input.description ?? null,
            reconnectWindow: input.reconnectWindow ?? DEFAULT_RECONNECT_WINDOW,
            streamKey,
          },
          now,
        ),
      ),
    );
    return { ...(await this.findOne(id)), streamKey };
  }

  async findOne(id: string): Promise<ChannelDto> {
    const channel = await this.channels.findById(id);
    if (!channel) throw notFound('channel', id);
    return toChannelDto(channel);
  }

  /** Oldest first, optionally one status. */
  async list(query: PageQueryDto & { status?: ChannelStatus }): Promise<Page<ChannelDto>> {
    const [channels, total] = await this.channels.page(
      query.status,
      query.page * query.length,
      query.length,
    );
    return toPage(channels.map(toChannelDto), total, query);
  }

  async update(id: string, input: UpdateChannelInput): Promise<ChannelDto> {
    await this.transactions.run(async (manager) => {
      const channel = await this.lockOrNotFound(manager, id);
      const changes: ChannelChanges = { updatedAt: new Date() };
      if (input.name !== undefined) changes.name = input.name;
      if (input.description !== undefined) changes.description = input.description;
      if (input.reconnectWindow !== undefined) {
        changes.reconnectWindow = input.reconnectWindow;
        // A stopped channel's window is measured from its stop with the new length.
        if (channel.status === 'stopped' && channel.stoppedAt) {
          changes.endDueAt = new Date(channel.stoppedAt.getTime() + input.reconnectWindow * 1000);
        }
      }
      await this.channels.update(manager, id, changes);
    });
    return this.findOne(id);
  }

  /** Deletes the channel; a live or stopped one is ended first, and its channel_ended is sent. */
  async remove(id: string): Promise<void> {
    await this.lifecycle.commitAndEmit(async (manager) => {
      const channel = await this.lockOrNotFound(manager, id);
      const events: ChannelEventRecorded[] = [];
      if (channel.status === 'live' || channel.status === 'stopped') {
        events.push((await this.lifecycle.endLocked(manager, channel, new Date())).event);
      }
      await this.channels.delete(manager, id);
      return { events };
    });
  }

  /** POST /end: ends the live session now (a conflict unless live or stopped). */
  async end(id: string): Promise<ChannelDto> {
    const { channel } = await this.lifecycle.commitAndEmit(async (manager) => {
      const locked = await this.lockOrNotFound(manager, id);
      const ended = await this.lifecycle.endLocked(manager, locked, new Date());
      return { channel: ended.channel, events: [ended.event] };
    });
    return toChannelDto(channel);
  }

  async getStreamKey(id: string): Promise<string> {
    const streamKey = await this.channels.streamKeyOf(id);
    if (streamKey === undefined) throw notFound('channel', id);
    return streamKey;
  }

  /** A new stream key; the old one stops working at once. */
  async rotateStreamKey(id: string): Promise<string> {
    const streamKey = generateStreamKey();
    await this.transactions.run(async (manager) => {
      await this.lockOrNotFound(manager, id);
      await this.channels.update(manager, id, { streamKey, updatedAt: new Date() });
    });
    return streamKey;
  }

  private async lockOrNotFound(manager: EntityManager, id: string): Promise<ChannelEntity> {
    const channel = await this.channels.lockById(manager, id);
    if (!channel) throw notFound('channel', id);
    return channel;
  }
}
