import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import {
  ChannelEventRepository,
  type UndispatchedEvent,
} from '../channel-events/channel-event.repository.js';
import { type ChannelEventRecorded, OnChannelEvent } from '../channel-events/channel-events.js';
import { PeriodicTask } from '../common/periodic-task.js';
import { databaseStatus, isLockContention } from '../database/database-status.js';
import { Transactions } from '../database/transactions.js';
import { tracing, TrySpans } from '../tracing/tracing.js';
import { WebhookDirectory } from '../webhook/webhook-directory.js';
import { WebhookRepository } from '../webhook/webhook.repository.js';
import { DeliveryMaintenance } from './delivery-maintenance.js';
import { DeliveryFanOut, type FanOutItem } from './delivery-fan-out.js';
import type { ClaimedDelivery } from './delivery.queue.js';
import { DeliveryWorker } from './delivery.worker.js';
import { RetryPolicy } from './retry-policy.js';

/** How often stuck lines are looked for. */
const REPAIR_INTERVAL_MS = 1000;

/**
 * How often undispatched events are looked for, and how young an event is left to the emit of
 * the process that recorded it. Where the events are recorded in this process (role `both`), the
 * sweep only catches emits that never happened (the process died after commit). A worker-only
 * process hears no emit: every event is the sweep's, so it looks often and at once.
 */
export class SweepSchedule {
  static readonly IN_PROCESS = new SweepSchedule(1000, 500);
  static readonly WORKER_ONLY = new SweepSchedule(150, 0);

  constructor(
    readonly intervalMs: number,
    readonly graceMs: number,
  ) {}
}
/** Channels fanned out together, and events read, per transaction. */
const CHANNELS_PER_BATCH = 500;
const EVENTS_PER_TRANSACTION = 1_000;
/**
 * Deliveries written per transaction: an event with more subscribers commits in chunks (its
 * progress kept on the event row), so its first deliveries go out while the rest are written.
 */
const DELIVERIES_PER_TRANSACTION = 1_000;

/**
 * Turns channel events into deliveries: one per active webhook subscribed to the event (or to
 * `all`). Emitted events are collected and fanned out together, a few statements per batch, in
 * transactions that lock the events: a channel's events fan out in id order, so a delivery joins
 * the end of its (webhook, channel) line. Deliveries the worker has room for are written already
 * leased to it and handed over at once; the rest wait to be claimed. Listeners only record work.
 */
@Injectable()
export class DeliveryDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeliveryDispatcher');
  private readonly sweeper: PeriodicTask;
  private readonly sweepGraceMs: number;
  private lastRepair = -Infinity;
  /** Channels with events to fan out. */
  private readonly waiting = new Set<string>();
  private running: Promise<void> | undefined;
  private scheduled = false;
  /** The first sweep, at start, takes every undispatched event, however young. */
  private graceMs = 0;

  constructor(
    private readonly transactions: Transactions,
    private readonly events: ChannelEventRepository,
    private readonly webhooks: WebhookRepository,
    private readonly directory: WebhookDirectory,
    private readonly fanOut: DeliveryFanOut,
    private readonly maintenance: DeliveryMaintenance,
    private readonly worker: DeliveryWorker,
    private readonly policy: RetryPolicy,
    schedule: SweepSchedule,
  ) {
    this.sweepGraceMs = schedule.graceMs;
    this.sweeper = new PeriodicTask(
      schedule.intervalMs,
      () => this.sweepAndRepair(),
      this.logger,
      'Sweep failed; the next one tries again',
    );
  }

  /** Events left undispatched by a previous run are fanned out before the service takes requests. */
  async onApplicationBootstrap(): Promise<void> {
    await this.sweeper.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
    await this.running;
  }

  @OnChannelEvent('channel_live', 'channel_stop', 'channel_ended')
  onChannelEvent(event: ChannelEventRecorded): void {
    this.events.remember(event.eventId, { body: event.body, traceParent: event.traceParent });
    this.waiting.add(event.channelId);
    this.schedule();
  }

  /** Fans out every waiting channel's undispatched events; resolves when none is left. */
  async drain(): Promise<void> {
    while (this.scheduled || this.running) {
      await (this.running ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  /** Fans out events whose in-process emit never happened (e.g. the process died after commit). */
  async sweep(graceMs = this.sweepGraceMs): Promise<void> {
    const channels = await this.events.undispatchedChannels(
      new Date(Date.now() - graceMs),
      CHANNELS_PER_BATCH,
    );
    for (const channelId of channels) this.waiting.add(channelId);
    this.schedule();
    await this.drain();
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // Events emitted in the same turn of the event loop share one fan-out.
    setImmediate(() => {
      this.scheduled = false;
      this.running = this.run().finally(() => {
        this.running = undefined;
        if (this.waiting.size > 0) this.schedule();
      });
    });
  }

  private async run(): Promise<void> {
    while (this.waiting.size > 0) {
      const channels = [...this.waiting].slice(0, CHANNELS_PER_BATCH);
      for (const channelId of channels) this.waiting.delete(channelId);
      try {
        while (await this.fanOutOnce(channels));
      } catch (error) {
        // The events stay undispatched; the sweeper fans them out.
        if (databaseStatus.failed(error) || isLockContention(error)) continue;
        this.logger.error(
          `Fan-out of ${channels.length} channel(s) failed; the sweeper will retry`,
          (error as Error).stack,
        );
      }
    }
  }

  /** One transaction's worth of fan-out for these channels; answers whether more is left. */
  private async fanOutOnce(channels: string[]): Promise<boolean> {
    let reserved = 0;
    let leased: ClaimedDelivery[] = [];
    const spans = new TrySpans();
    try {
      const outcome = await spans.run(() =>
        this.transactions.pipeline(async (tx) => {
          const version = this.webhooks.version(tx);
          const events = await this.events.lockUndispatched(tx, channels, EVENTS_PER_TRANSACTION);
          // A deadlock victim runs this again: its first try's spans end as failed.
          spans.replace([]);
          if (events.length === 0) {
            await tx.commit();
            return { more: false, sendable: 0, leased: [] };
          }
          const directory = await this.directory.atLeast(await version.result());
          const plan = this.plan(events, (event) =>
            directory.subscribers(event.name, event.channelId),
          );
          spans.replace(this.fanOutSpans(plan.items));
          // A deadlock victim runs this again: what the first try reserved is given back first.
          this.worker.release(reserved);
          reserved = this.worker.reserve(
            plan.items.reduce((n, item) => n + item.targets.length, 0),
          );
          const written = await this.fanOut.write(tx, plan.items, this.policy.maxAttempts, {
            owner: this.worker.owner,
            ms: this.worker.leaseMs,
            count: reserved,
          });
          this.events.markDispatched(tx, plan.finished, new Date());
          for (const [id, cursor] of plan.progress) this.events.saveProgress(tx, id, cursor);
          await tx.commit();
          return {
            more: plan.heldBack || events.length === EVENTS_PER_TRANSACTION,
            sendable: written.sendable,
            leased: await written.leased.result(),
          };
        }),
      );
      leased = outcome.leased;
      if (outcome.sendable > leased.length) this.worker.wake();
      return outcome.more;
    } finally {
      this.worker.startLeased(leased, reserved);
    }
  }

  /**
   * With tracing on, a span for each traced event's fan-out in this transaction, in the event's
   * trace (its transition's child), however long after the transition it runs and wherever.
   */
  private fanOutSpans(items: FanOutItem[]): Span[] {
    if (!tracing.on) return [];
    return items.flatMap(({ event, targets }) =>
      event.traceParent
        ? [
            tracing.start(
              'delivery.fan_out',
              {
                attributes: {
                  'channel_webhooks.event': event.name,
                  'channel_webhooks.event_id': event.id,
                  'channel_webhooks.channel_id': event.channelId,
                  'channel_webhooks.deliveries': targets.length,
                },
              },
              tracing.contextOf(event.traceParent),
            ),
          ]
        : [],
    );
  }

  /**
   * Which deliveries this transaction writes: events in id order, each from where its fan-out got
   * to, until the transaction's share is used up. An event that does not fit in full holds back
   * the later events of its channel until it is done.
   */
  private plan(
    events: UndispatchedEvent[],
    subscribersOf: (event: UndispatchedEvent) => { id: string; uri: string }[],
  ): { items: FanOutItem[]; finished: string[]; progress: Map<string, string>; heldBack: boolean } {
    const items: FanOutItem[] = [];
    const finished: string[] = [];
    const progress = new Map<string, string>();
    const heldBack = new Set<string>();
    let room = DELIVERIES_PER_TRANSACTION;
    for (const event of events) {
      if (heldBack.has(event.channelId)) continue;
      const cursor = event.cursor === null ? undefined : BigInt(event.cursor);
      const all = subscribersOf(event).filter(
        (target) => cursor === undefined || BigInt(target.id) > cursor,
      );
      const targets = all.slice(0, Math.max(room, 0));
      room -= targets.length;
      if (targets.length > 0) items.push({ event, targets });
      if (targets.length < all.length) {
        if (targets.length > 0) progress.set(event.id, targets[targets.length - 1].id);
        heldBack.add(event.channelId);
      } else {
        finished.push(event.id);
      }
    }
    return { items, finished, progress, heldBack: heldBack.size > 0 };
  }

  private async sweepAndRepair(): Promise<void> {
    const graceMs = this.graceMs;
    this.graceMs = this.sweepGraceMs;
    await this.sweep(graceMs);
    if (performance.now() - this.lastRepair < REPAIR_INTERVAL_MS) return;
    this.lastRepair = performance.now();
    const repaired = await this.maintenance.repairLines();
    const resumed = await this.maintenance.releaseHeld();
    if (repaired + resumed > 0) this.worker.wake();
  }
}
