import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { PeriodicTask } from '../common/periodic-task.js';
import type { AppConfig } from '../config/app-config.js';
import { databaseStatus } from '../database/database-status.js';
import { Transactions } from '../database/transactions.js';
import { WebhookDirectory } from '../webhook/webhook-directory.js';
import { WebhookRepository } from '../webhook/webhook.repository.js';
import { WebhookHealthWrites } from '../webhook/webhook-health.writes.js';
import { attemptPlan } from '../webhook/webhook-state.js';
import { sendTraced } from './attempt-span.js';
import { DeliveryMetrics } from './delivery.metrics.js';
import { type ClaimedDelivery, type Completion, DeliveryQueue } from './delivery.queue.js';
import { type AttemptResult, DeliverySender, unsentAttempt } from './delivery.sender.js';
import { Sql } from '../database/sql.js';
import { INACTIVE_ERROR, OperationalEvents } from './operational-events.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { DatabaseOutcomeWriter } from './outcome-writer.js';
import { RetryPolicy } from './retry-policy.js';
import { ReadyLanes, type Visit } from './ready-lanes.js';
import { BREAKER_AFTER, SlotScheduler } from './slot-scheduler.js';
import { InjectAppConfig } from '../config/app-config.module.js';

/** Every instance looks for due work at least this often (retries, leases run out, other instances' fan-out). */
export const POLL_INTERVAL_MS = 500;
/** At most this many deliveries per claim. */
const CLAIM_MAX = 500;
/**
 * Deliveries held leased beyond the slots, ready to start as slots free up (as a multiple of
 * DELIVERY_CONCURRENCY): claims come in large batches rather than one per finished attempt.
 */
const READY_FACTOR = 4;
/** A claim is worth it for at least this many. */
const CLAIM_MIN = 16;
/** A lease outlives the attempt's timeout by this much, so a slow record does not lose it. */
const LEASE_MARGIN_MS = 5_000;
/** Delivery ids named in the shutdown line, at most (all of them go in its `deliveryIds`). */
const IDS_IN_MESSAGE = 50;

interface Ready {
  delivery: ClaimedDelivery;
  /** When its lease began (this process's clock): it must start sending well within the lease. */
  leasedAt: number;
}

/**
 * Sends up to DELIVERY_CONCURRENCY attempts at once and records every one. Work comes from the
 * dispatcher (deliveries written already leased to this worker, while it has room) and from claims
 * of due deliveries as slots free up; every instance also polls, so nothing of the queue lives
 * only in memory. A slot is free again as soon as its answer is in; claims come in batches. How
 * many slots each webhook may use and how fast it is sent to is the SlotScheduler's to say; the
 * OutcomeRecorder writes the outcomes in batches and keeps those it cannot write, and nothing new is
 * started or claimed until they are written: only a crash sends a message again.
 * On shutdown it stops claiming and lets the attempts in flight finish and be recorded, for
 * SHUTDOWN_TIMEOUT at most.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeliveryWorker');
  readonly owner = `worker-${randomBytes(6).toString('hex')}`;
  readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly poller = new PeriodicTask(
    POLL_INTERVAL_MS,
    () => this.wake(),
    this.logger,
    'Polling for due deliveries failed',
  );
  private readonly readyLimit: number;
  /** Per webhook: slots used, deliveries ready, the breaker and the pacing. */
  private readonly slots: SlotScheduler;
  private pacingTimer: NodeJS.Timeout | undefined;
  /** Attempts waiting for their answer. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Leased to this worker, waiting for a slot: first attempts and retries take turns. */
  private readonly ready = new ReadyLanes<Ready>();
  /** Room promised to the dispatcher for deliveries it is writing already leased to us. */
  private reserved = 0;
  /** Writes the outcomes, in batches, kept and tried again while writes fail. */
  private readonly recorder: OutcomeRecorder;
  private readonly shutdownTimeoutMs: number;
  private claiming: Promise<void> | undefined;
  /** Whether a claim may find due work (set by wakes, cleared by a claim that came up short). */
  private maybeDue = false;
  private stopping = false;

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly sender: DeliverySender,
    private readonly webhooks: WebhookRepository,
    health: WebhookHealthWrites,
    private readonly directory: WebhookDirectory,
    private readonly transactions: Transactions,
    metrics: DeliveryMetrics,
    private readonly policy: RetryPolicy,
    @InjectAppConfig() app: AppConfig,
    sql: Sql,
  ) {
    this.concurrency = app.delivery.concurrency;
    this.readyLimit = app.delivery.concurrency * READY_FACTOR;
    this.slots = new SlotScheduler({
      perWebhook: Math.min(app.delivery.concurrencyPerWebhook, app.delivery.concurrency),
      readyFactor: READY_FACTOR,
      breakerAfter: BREAKER_AFTER,
      rateLimit: (id) => directory.rateLimit(id),
    });
    this.leaseMs = app.delivery.timeoutMs + LEASE_MARGIN_MS;
    const writer = new DatabaseOutcomeWriter(queue, transactions, health, directory, {
      owner: this.owner,
      leaseMs: this.leaseMs,
      disableAfterMs: app.webhookDisableAfterMs,
      failingAfterMs: app.webhookFailingAfterMs,
      operational: new OperationalEvents(sql, directory, policy.maxAttempts),
      logger: this.logger,
    });
    this.recorder = new OutcomeRecorder(
      writer,
      metrics,
      this.logger,
      {
        resumed: () => {
          this.pump();
          this.wake();
        },
        promoted: () => this.wake(),
        settled: () => this.fill(),
      },
      { leaseMs: this.leaseMs, maxPacket: app.databaseMaxPacket },
    );
    this.shutdownTimeoutMs = app.shutdownTimeoutMs;
  }

  /** False once shutdown began: the instance drains and takes no new work. */
  get running(): boolean {
    return this.poller.running;
  }

  onApplicationBootstrap(): Promise<void> {
    return this.poller.start();
  }

  /**
   * Stop claiming; let attempts in flight finish (each is bounded by the timeout) and be recorded,
   * for SHUTDOWN_TIMEOUT at most: past it, one line says what is left unwritten (those deliveries
   * are sent again once their leases run out, by this service or another instance).
   */
  async beforeApplicationShutdown(): Promise<void> {
    const startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.shutdownTimeoutMs);
    });
    const late = await Promise.race([this.drain().then(() => false), timedOut]);
    clearTimeout(timer);
    if (!late) return;
    const kept = this.recorder.abandon();
    const named =
      kept.slice(0, IDS_IN_MESSAGE).join(', ') + (kept.length > IDS_IN_MESSAGE ? ', …' : '');
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    this.logger.warn({
      msg:
        `Shutting down after ${seconds}s with ${kept.length} outcome(s) unwritten` +
        (kept.length > 0 ? ` (deliveries ${named})` : '') +
        ` and ${this.inFlight.size} attempt(s) unanswered: those deliveries are sent again once` +
        ' their leases run out (at least once)',
      deliveryIds: kept,
    });
  }

  private async drain(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.pacingTimer);
    await this.poller.stop();
    await this.claiming;
    await this.giveBack(this.ready.takeAll().map((entry) => entry.delivery.id));
    if (this.inFlight.size > 0)
      this.logger.log(`Draining ${this.inFlight.size} attempt(s) in flight`);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.recorder.drain();
  }

  /** Look for due work now. */
  wake(): void {
    if (this.stopping) return;
    this.maybeDue = true;
    this.fill();
  }

  /** Takes room for up to `wanted` deliveries about to be written leased to this worker. */
  reserve(wanted: number): number {
    if (this.stopping) return 0;
    const granted = Math.max(0, Math.min(wanted, this.room()));
    this.reserved += granted;
    return granted;
  }

  release(count: number): void {
    this.reserved -= count;
  }

  /** Takes deliveries written leased to this worker, and gives back the room left over. */
  startLeased(deliveries: ClaimedDelivery[], reserved: number): void {
    this.reserved -= reserved;
    this.accept(deliveries);
    if (deliveries.length < reserved) this.fill();
  }

  /** How many more deliveries this worker may hold; none while outcomes pile up unwritten. */
  private room(): number {
    if (this.recorder.failing || this.recorder.waiting >= this.concurrency) return 0;
    return this.readyLimit - this.inFlight.size - this.ready.length - this.reserved;
  }

  /** Worth a claim: the ready deliveries run low and there is room for a batch. */
  private claimable(): boolean {
    const room = this.room();
    return room > 0 && this.ready.length < this.concurrency && room >= CLAIM_MIN;
  }

  /**
   * For a webhook with a rate limit: whether an attempt may start now, and if so takes its turn.
   * Otherwise the pump runs again when the next turn comes.
   */
  private takeTurn(webhookId: string, now: number): boolean {
    const next = this.slots.takeTurn(webhookId, now);
    if (next === undefined) return true;
    this.pumpAt(next);
    return false;
  }

  private pumpAt(at: number): void {
    if (this.pacingTimer || this.stopping) return;
    this.pacingTimer = setTimeout(
      () => {
        this.pacingTimer = undefined;
        this.pump();
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** Takes leased deliveries in; those of a webhook it holds enough of go back to the queue. */
  private accept(deliveries: ClaimedDelivery[]): void {
    const leasedAt = Date.now();
    const surplus: string[] = [];
    for (const delivery of deliveries) {
      if (this.slots.holdsEnough(delivery.webhookId)) {
        surplus.push(delivery.id);
        continue;
      }
      this.ready.push({ delivery, leasedAt });
      this.slots.readied(delivery.webhookId);
    }
    if (surplus.length > 0) void this.giveBack(surplus);
    this.pump();
  }

  /**
   * Starts ready deliveries while slots are free, first attempts and retries taking turns; one
   * whose webhook uses all the slots it may stays ready. One that waited too long is let go
   * unsent: given back, or its lease runs out, and it is claimed again, never sent twice by two
   * holders.
   */
  private pump(): void {
    if (this.recorder.failing || this.inFlight.size >= this.concurrency) return;
    const now = Date.now();
    const staleBefore = now - LEASE_MARGIN_MS / 2;
    const stale: string[] = [];
    this.ready.pass(
      ({ delivery, leasedAt }): Visit => {
        const { webhookId } = delivery;
        const late = leasedAt < staleBefore;
        if (!late && (!this.slots.hasSlot(webhookId) || !this.takeTurn(webhookId, now)))
          return 'kept';
        this.slots.unreadied(webhookId);
        if (late) {
          stale.push(delivery.id);
          return 'dropped';
        }
        this.start(delivery);
        return 'started';
      },
      () => this.inFlight.size < this.concurrency,
    );
    if (stale.length > 0) void this.giveBack(stale);
  }

  private async hold(id: string): Promise<void> {
    try {
      await this.transactions.run((manager) => this.queue.hold(manager, [id], this.owner));
    } catch (error) {
      // Its lease runs out and the next claim holds it again.
      if (!databaseStatus.failed(error)) {
        this.logger.warn(`Holding delivery ${id} failed: ${(error as Error).message}`);
      }
    }
  }

  /** Hands leased deliveries that will not be sent here back to the queue. */
  private async giveBack(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.transactions.run((manager) => this.queue.release(manager, ids, this.owner));
    } catch (error) {
      // Their leases run out instead.
      if (!databaseStatus.failed(error)) {
        this.logger.warn(`Giving back ${ids.length} lease(s) failed: ${(error as Error).message}`);
      }
    }
  }

  /** Claims while there are free slots and due work; one claim at a time. */
  private fill(): void {
    if (this.claiming || this.stopping || !this.maybeDue || !this.claimable()) return;
    this.claiming = this.claimWhileDue().finally(() => (this.claiming = undefined));
  }

  private async claimWhileDue(): Promise<void> {
    try {
      while (this.maybeDue && !this.stopping && this.claimable()) {
        const wanted = Math.min(this.room(), CLAIM_MAX);
        this.maybeDue = false;
        const lease = { owner: this.owner, ms: this.leaseMs };
        const { claimed, version } = await this.transactions.pipeline(async (tx) => {
          const current = this.webhooks.version(tx);
          const due = await this.queue.claim(tx, wanted, lease, this.slots.heldEnough());
          await tx.commit();
          return { claimed: due, version: await current.result() };
        });
        await this.directory.atLeast(version);
        this.accept(claimed);
        if (claimed.length === wanted) this.maybeDue = true;
      }
    } catch (error) {
      if (databaseStatus.failed(error)) return; // the next poll tries again
      this.logger.error(
        'Claiming deliveries failed; the next poll tries again',
        (error as Error).stack,
      );
    }
  }

  private start(delivery: ClaimedDelivery): void {
    this.slots.started(delivery.webhookId);
    const task = this.attempt(delivery)
      .then((completion) => {
        if (!completion) return;
        this.slots.answered(delivery.webhookId, completion.decision.kind === 'succeeded');
        this.recorder.complete(completion, this.inFlight.size);
      })
      .catch((error: Error) => this.logger.error(`Delivery ${delivery.id} failed`, error.stack))
      .finally(() => {
        this.slots.finished(delivery.webhookId);
        this.inFlight.delete(task);
        this.pump();
        this.fill();
      });
    this.inFlight.add(task);
  }

  /** Sends one attempt; undefined when there is nothing to record (its webhook is gone). */
  private async attempt(delivery: ClaimedDelivery): Promise<Completion | undefined> {
    const target = this.directory.target(delivery.webhookId);
    if (!target) return undefined; // the webhook was deleted (its deliveries go with it)
    const plan = attemptPlan(target.state, delivery.test);
    if (plan === 'hold') {
      // Paused by its owner: the delivery waits, unsent and with no attempt counted.
      await this.hold(delivery.id);
      return undefined;
    }
    const sendable = plan === 'send';
    const result: AttemptResult = sendable
      ? await sendTraced(
          this.sender,
          {
            uri: target.uri,
            messageId: delivery.messageId,
            body: delivery.body,
            secrets: target.secrets,
            headers: target.headers,
            test: delivery.test,
          },
          delivery,
        )
      : unsentAttempt(INACTIVE_ERROR);
    const decision = sendable
      ? this.policy.decide({
          statusCode: result.statusCode,
          attempts: delivery.attempts + 1,
          maxAttempts: delivery.maxAttempts,
          retryAfter: result.retryAfter,
          now: new Date(),
        })
      : ({ kind: 'dead' } as const);
    return { delivery, result, decision };
  }
}
