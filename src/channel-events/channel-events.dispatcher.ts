import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource, type EntityManager, IsNull, LessThan } from 'typeorm';
import { InjectDataSource } from '@nestjs/typeorm';
import { forUpdate } from '../database/locking.js';
import { Transactions } from '../database/transactions.js';
import { WebhookService } from '../webhook/webhook.service.js';
import { ChannelEventEntity } from './channel-event.entity.js';
import { type ChannelEventRecorded, OnChannelEvent } from './channel-events.js';
import { DeliveryEntity } from './delivery/delivery.entity.js';
import { DeliveryQueue } from './delivery/delivery.queue.js';
import { DeliveryWorker } from './delivery/delivery.worker.js';
import { newMessageId } from './delivery/signature.js';

/** How often undispatched events (their emit never happened) and stuck lines are looked for. */
export const SWEEP_INTERVAL_MS = 1000;
/** An undispatched event younger than this is left to the in-process emit. */
const SWEEP_GRACE_MS = 500;
const INSERT_CHUNK = 500;

/**
 * Turns channel events into deliveries: one per active webhook subscribed to the event (or to
 * `all`), inserted in batches in the transaction that marks the event dispatched. Listeners only
 * record work; the worker sends. A channel's events fan out in id order under row locks, so a
 * delivery joins the end of its (webhook, channel) line.
 */
@Injectable()
export class ChannelEventsDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ChannelEventsDispatcher');
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly webhooks: WebhookService,
    private readonly queue: DeliveryQueue,
    private readonly worker: DeliveryWorker,
  ) {}

  /** Events left undispatched by a previous run are fanned out before the service takes requests. */
  async onApplicationBootstrap(): Promise<void> {
    await this.sweepSafely(0);
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.sweeping;
  }

  @OnChannelEvent('channel_live', 'channel_stop', 'channel_ended')
  async onChannelEvent(event: ChannelEventRecorded): Promise<void> {
    try {
      await this.dispatchChannel(event.channelId, event.eventId);
    } catch (error) {
      // The event row stays undispatched; the sweeper fans it out.
      this.logger.error(
        `Fan-out of event ${event.eventId} failed; the sweeper will retry`,
        (error as Error).stack,
      );
    }
  }

  /** Fans out a channel's undispatched events, oldest first, up to `upToEventId`. */
  async dispatchChannel(channelId: string, upToEventId?: string): Promise<number> {
    const pending = await this.transactions.run(async (manager) => {
      const builder = manager
        .createQueryBuilder(ChannelEventEntity, 'event')
        .where('event.channel_id = :channelId', { channelId })
        .andWhere('event.dispatched_at IS NULL')
        .orderBy('event.id', 'ASC')
        .limit(INSERT_CHUNK);
      if (upToEventId !== undefined) builder.andWhere('event.id <= :upToEventId', { upToEventId });
      const events = await forUpdate(builder).getMany();
      let sendable = 0;
      for (const event of events) sendable += await this.fanOut(manager, event);
      return sendable;
    });
    if (pending > 0) this.worker.wake();
    return pending;
  }

  /** Fans out events whose in-process emit never happened (e.g. the process died after commit). */
  async sweep(graceMs = SWEEP_GRACE_MS): Promise<number> {
    const rows = await this.dataSource.manager.find(ChannelEventEntity, {
      select: { channelId: true, id: true },
      where: { dispatchedAt: IsNull(), createdAt: LessThan(new Date(Date.now() - graceMs)) },
      order: { id: 'ASC' },
      take: 200,
    });
    const channels = [...new Set(rows.map((row) => String(row.channelId)))];
    let dispatched = 0;
    for (const channelId of channels) {
      try {
        dispatched += await this.dispatchChannel(channelId);
      } catch (error) {
        // One channel's failing fan-out must not hold up the others'.
        this.logger.error(
          `Sweep of channel ${channelId} failed; the next sweep tries again`,
          (error as Error).stack,
        );
      }
    }
    return dispatched;
  }

  private async fanOut(manager: EntityManager, event: ChannelEventEntity): Promise<number> {
    const now = new Date();
    const channelId = String(event.channelId);
    const targets = await this.webhooks.findActiveSubscribers(event.name, manager);
    let sendable = 0;
    for (let start = 0; start < targets.length; start += INSERT_CHUNK) {
      const chunk = targets.slice(start, start + INSERT_CHUNK);
      const busyLines = await forUpdate(
        manager
          .createQueryBuilder(DeliveryEntity, 'delivery')
          .select(['delivery.id', 'delivery.webhookId'])
          .where('delivery.channel_id = :channelId', { channelId })
          .andWhere('delivery.webhook_id IN (:...webhookIds)', {
            webhookIds: chunk.map((target) => target.id),
          })
          .andWhere('delivery.status IN (:...open)', { open: ['pending', 'waiting'] }),
      ).getMany();
      const busy = new Set(busyLines.map((row) => String(row.webhookId)));
      const rows = chunk.map((target) => ({
        webhookId: target.id,
        channelId,
        eventId: String(event.id),
        event: event.name,
        messageId: newMessageId(),
        body: null,
        status: busy.has(target.id) ? ('waiting' as const) : ('pending' as const),
        attempts: 0,
        maxAttempts: this.worker.policy.maxAttempts,
        nextAttemptAt: busy.has(target.id) ? null : now,
        createdAt: now,
        updatedAt: now,
      }));
      await manager.insert(DeliveryEntity, rows);
      sendable += rows.filter((row) => row.status === 'pending').length;
    }
    await manager.update(ChannelEventEntity, { id: event.id }, { dispatchedAt: now });
    return sendable;
  }

  private async sweepSafely(graceMs: number): Promise<void> {
    try {
      await this.sweep(graceMs);
      const repaired = await this.queue.repairLines();
      if (repaired > 0) this.worker.wake();
    } catch (error) {
      this.logger.error('Sweep failed; the next one tries again', (error as Error).stack);
    }
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.sweeping = this.sweepSafely(SWEEP_GRACE_MS).finally(() => this.schedule());
    }, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }
}
