import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ChannelEventRepository } from '../channel-events/channel-event.repository.js';
import { type ChannelEventRecorded, OnChannelEvent } from '../channel-events/channel-events.js';
import { PeriodicTask } from '../common/periodic-task.js';
import { Transactions } from '../database/transactions.js';
import { WebhookRepository } from '../webhook/webhook.repository.js';
import { DeliveryQueue } from './delivery.queue.js';
import { DeliveryWorker } from './delivery.worker.js';
import { RetryPolicy } from './retry-policy.js';

/** How often undispatched events (their emit never happened) and stuck lines are looked for. */
export const SWEEP_INTERVAL_MS = 1000;
/** An undispatched event younger than this is left to the in-process emit. */
const SWEEP_GRACE_MS = 500;
const EVENTS_PER_TRANSACTION = 500;
const SWEEP_EVENTS = 200;

/**
 * Turns channel events into deliveries: one per active webhook subscribed to the event (or to
 * `all`), inserted in the transaction that marks the event dispatched. Listeners only record
 * work; the worker sends. A channel's events fan out in id order under row locks, so a delivery
 * joins the end of its (webhook, channel) line.
 */
@Injectable()
export class DeliveryDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeliveryDispatcher');
  private readonly sweeper = new PeriodicTask(
    SWEEP_INTERVAL_MS,
    () => this.sweepAndRepair(),
    this.logger,
    'Sweep failed; the next one tries again',
  );
  /** The first sweep, at start, takes every undispatched event, however young. */
  private graceMs = 0;

  constructor(
    private readonly transactions: Transactions,
    private readonly events: ChannelEventRepository,
    private readonly webhooks: WebhookRepository,
    private readonly queue: DeliveryQueue,
    private readonly worker: DeliveryWorker,
    private readonly policy: RetryPolicy,
  ) {}

  /** Events left undispatched by a previous run are fanned out before the service takes requests. */
  async onApplicationBootstrap(): Promise<void> {
    await this.sweeper.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.sweeper.stop();
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
    const sendable = await this.transactions.run(async (manager) => {
      const events = await this.events.lockUndispatched(
        manager,
        channelId,
        EVENTS_PER_TRANSACTION,
        upToEventId,
      );
      let count = 0;
      for (const event of events) {
        const now = new Date();
        const targets = await this.webhooks.findActiveSubscribers(event.name, manager);
        count += await this.queue.fanOut(manager, event, targets, this.policy.maxAttempts, now);
        await this.events.markDispatched(manager, event.id, now);
      }
      return count;
    });
    if (sendable > 0) this.worker.wake();
    return sendable;
  }

  /** Fans out events whose in-process emit never happened (e.g. the process died after commit). */
  async sweep(graceMs = SWEEP_GRACE_MS): Promise<number> {
    const channels = await this.events.undispatchedChannels(
      new Date(Date.now() - graceMs),
      SWEEP_EVENTS,
    );
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

  private async sweepAndRepair(): Promise<void> {
    const graceMs = this.graceMs;
    this.graceMs = SWEEP_GRACE_MS;
    await this.sweep(graceMs);
    const repaired = await this.queue.repairLines();
    if (repaired > 0) this.worker.wake();
  }
}
