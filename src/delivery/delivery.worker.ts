import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { PeriodicTask } from '../common/periodic-task.js';
import type { AppConfig } from '../config/app-config.js';
import { Transactions } from '../database/transactions.js';
import { WebhookRepository } from '../webhook/webhook.repository.js';
import type { DeliveryTarget } from '../webhook/webhook.types.js';
import { DeliveryMetrics } from './delivery.metrics.js';
import { type ClaimedDelivery, type Completion, DeliveryQueue } from './delivery.queue.js';
import { type AttemptResult, DeliverySender } from './delivery.sender.js';
import { RetryPolicy } from './retry-policy.js';

/** Every instance looks for due work at least this often (retries, leases run out, other instances' fan-out). */
export const POLL_INTERVAL_MS = 500;
const CLAIM_BATCH = 100;
/** A lease outlives the attempt's timeout by this much, so a slow record does not lose it. */
const LEASE_MARGIN_MS = 5_000;

/** Outcomes are written in batches of up to this many, at most this long after they happen. */
const RECORD_BATCH = 64;
const RECORD_DELAY_MS = 2;
const WAKE_COALESCE_MS = 3;
const RECORD_RETRY_MS = 200;

interface Unrecorded {
  completion: Completion;
  target: DeliveryTarget;
  resolve: () => void;
  reject: (error: Error) => void;
  /** When the outcome was ready; it is retried while the lease (measured from then) lasts. */
  since: number;
}

/**
 * Claims due deliveries in batches, sends up to DELIVERY_CONCURRENCY at once, and records every
 * attempt. Woken at once by new work, and otherwise polls: nothing of the queue lives only in
 * memory. On shutdown it stops claiming and lets the attempts in flight finish and be recorded.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeliveryWorker');
  readonly owner = `worker-${randomBytes(6).toString('hex')}`;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly disableAfterMs: number;
  private readonly poller = new PeriodicTask(
    POLL_INTERVAL_MS,
    () => this.wake(),
    this.logger,
    'Polling for due deliveries failed',
  );
  private readonly inFlight = new Set<Promise<void>>();
  private readonly unrecorded: Unrecorded[] = [];
  private flushing = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private wakeRequested = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private looping = false;
  private stopping = false;

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly sender: DeliverySender,
    private readonly webhooks: WebhookRepository,
    private readonly transactions: Transactions,
    private readonly metrics: DeliveryMetrics,
    private readonly policy: RetryPolicy,
    config: ConfigService<{ app: AppConfig }, true>,
  ) {
    const app = config.get('app', { infer: true });
    this.concurrency = app.delivery.concurrency;
    this.leaseMs = app.delivery.timeoutMs + LEASE_MARGIN_MS;
    this.disableAfterMs = app.webhookDisableAfterMs;
  }

  /** False once shutdown began: the instance drains and takes no new work. */
  get running(): boolean {
    return this.poller.running;
  }

  onApplicationBootstrap(): Promise<void> {
    return this.poller.start();
  }

  /** Stop claiming; let attempts in flight finish (each is bounded by the timeout) and be recorded. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.poller.stop();
    if (this.inFlight.size > 0)
      this.logger.log(`Draining ${this.inFlight.size} attempt(s) in flight`);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Look for due work now. */
  wake(): void {
    if (this.stopping) return;
    this.wakeRequested = true;
    // Wakes that come close together (a burst of fan-outs) share one claim.
    if (!this.looping && !this.wakeTimer) {
      this.wakeTimer = setTimeout(() => {
        this.wakeTimer = undefined;
        if (!this.looping) void this.loop();
      }, WAKE_COALESCE_MS);
    }
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      while (this.wakeRequested && !this.stopping) {
        this.wakeRequested = false;
        for (;;) {
          const capacity = this.concurrency - this.inFlight.size;
          if (capacity <= 0 || this.stopping) break;
          const wanted = Math.min(capacity, CLAIM_BATCH);
          const claimed = await this.queue.claim(wanted, this.owner, this.leaseMs);
          if (claimed.length > 0) {
            const targets = await this.webhooks.deliveryTargets([
              ...new Set(claimed.map((delivery) => delivery.webhookId)),
            ]);
            for (const delivery of claimed) this.start(delivery, targets.get(delivery.webhookId));
          }
          if (claimed.length < wanted) break;
        }
      }
    } catch (error) {
      this.logger.error(
        'Claiming deliveries failed; the next poll tries again',
        (error as Error).stack,
      );
    } finally {
      this.looping = false;
    }
  }

  private start(delivery: ClaimedDelivery, target: DeliveryTarget | undefined): void {
    const task = this.attempt(delivery, target)
      .catch((error: Error) =>
        this.logger.error(`Delivery ${delivery.id} failed to record`, error.stack),
      )
      .finally(() => {
        this.inFlight.delete(task);
        // Refill in batches rather than one claim per finished attempt.
        if (this.inFlight.size <= this.concurrency / 2) this.wake();
      });
    this.inFlight.add(task);
  }

  private async attempt(
    delivery: ClaimedDelivery,
    target: DeliveryTarget | undefined,
  ): Promise<void> {
    let result: AttemptResult;
    if (!target) return; // the webhook was deleted (its deliveries go with it)
    if (!target.active && delivery.event !== 'ping') {
      result = {
        at: new Date(),
        statusCode: null,
        durationMs: 0,
        error: 'webhook is inactive',
        responseBody: null,
      };
    } else {
      result = await this.sender.send({
        uri: target.uri,
        messageId: delivery.messageId,
        body: delivery.body,
        secrets: target.secrets,
      });
    }
    const attempts = delivery.attempts + 1;
    let decision = this.policy.decide({
      statusCode: result.statusCode,
      attempts,
      maxAttempts: delivery.maxAttempts,
      retryAfter: result.retryAfter,
      now: new Date(),
    });
    if (!target.active && delivery.event !== 'ping') decision = { kind: 'dead' };
    await this.complete({ delivery, result, decision }, target);
  }

  /** Queues an outcome for the next batched write; resolves once it is recorded. */
  private complete(completion: Completion, target: DeliveryTarget): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.unrecorded.push({ completion, target, resolve, reject, since: Date.now() });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushing) return; // the running flush looks again when it ends
    if (this.unrecorded.length >= RECORD_BATCH) {
      void this.flush();
      return;
    }
    this.flushTimer ??= setTimeout(() => void this.flush(), RECORD_DELAY_MS);
  }

  /** Writes up to RECORD_BATCH outcomes, with the webhooks' health, in one transaction. */
  private async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.unrecorded.splice(0, RECORD_BATCH);
    if (batch.length === 0 || this.flushing) {
      this.unrecorded.unshift(...batch);
      return;
    }
    this.flushing = true;
    try {
      const { promoted } = await this.transactions.run(async (manager) => {
        const recorded = await this.queue.recordBatch(
          manager,
          batch.map((entry) => entry.completion),
          this.owner,
        );
        await this.recordHealth(manager, batch);
        return recorded;
      });
      for (const entry of batch) {
        const { delivery, result, decision } = entry.completion;
        this.metrics.deliveries.inc({ event: delivery.event, outcome: decision.kind });
        this.metrics.attemptDuration.observe(result.durationMs / 1000);
        this.logger.log({
          msg: 'delivery attempt',
          webhookId: delivery.webhookId,
          deliveryId: delivery.id,
          event: delivery.event,
          attempt: delivery.attempts + 1,
          status: result.statusCode,
          error: result.error,
          durationMs: result.durationMs,
          outcome: decision.kind,
        });
        entry.resolve();
      }
      if (promoted > 0) this.wake();
    } catch (error) {
      // Try again while the leases last: giving up would send these messages a second time.
      const retry = batch.filter((entry) => Date.now() - entry.since < this.leaseMs / 2);
      for (const entry of batch.filter((entry) => !retry.includes(entry)))
        entry.reject(error as Error);
      this.unrecorded.unshift(...retry);
      if (retry.length > 0) {
        this.logger.warn(
          `Recording ${retry.length} outcome(s) failed; retrying: ${(error as Error).message}`,
        );
        await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS));
      }
    } finally {
      this.flushing = false;
      if (this.unrecorded.length > 0) this.scheduleFlush();
    }
  }

  /** A success ends a webhook's failing run; 410 and long failing runs make it inactive. */
  private async recordHealth(manager: EntityManager, batch: Unrecorded[]): Promise<void> {
    const recovered = new Set<string>();
    const gone = new Set<string>();
    const failing = new Set<string>();
    for (const { completion, target } of batch) {
      const { webhookId } = completion.delivery;
      if (completion.decision.kind === 'succeeded') {
        if (target.failingSince !== null) recovered.add(webhookId);
      } else if (completion.decision.kind === 'gone') gone.add(webhookId);
      else if (target.active) failing.add(webhookId);
    }
    for (const webhookId of recovered) await this.webhooks.recordSuccess(manager, webhookId);
    for (const webhookId of gone) {
      await this.webhooks.deactivate(manager, webhookId, 'the receiver answered 410 Gone');
    }
    for (const webhookId of failing) {
      if (recovered.has(webhookId) || gone.has(webhookId)) continue;
      if (await this.webhooks.recordFailure(manager, webhookId, new Date(), this.disableAfterMs)) {
        this.logger.warn(`Webhook ${webhookId} made inactive: failing for too long`);
      }
    }
  }
}
