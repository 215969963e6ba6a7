import type { LoggerService } from '@nestjs/common';
import type { Pipeline } from '../database/pipeline.js';
import type { Transactions } from '../database/transactions.js';
import type { WebhookDirectory } from '../webhook/webhook-directory.js';
import { healthChanges, verdictOf } from '../webhook/webhook-health.js';
import type { WebhookHealthWrites } from '../webhook/webhook-health.writes.js';
import { isOperationalEventName } from '../common/channel-event-name.js';
import type { Completion, DeliveryQueue } from './delivery.queue.js';
import {
  INACTIVE_ERROR,
  type OperationalEvent,
  type OperationalEvents,
} from './operational-events.js';
import type { StatementLimits } from './outcome-batches.js';
import type { OutcomeWriter } from './outcome-recorder.js';

export interface OutcomeWriterOptions {
  /** The owner the worker's leases are taken under. */
  owner: string;
  leaseMs: number;
  /** WEBHOOK_DISABLE_AFTER, in ms. */
  disableAfterMs: number;
  /** WEBHOOK_FAILING_AFTER, in ms. */
  failingAfterMs: number;
  /** Where the operational events the outcomes raise are written. */
  operational: OperationalEvents;
  /** Where a webhook made inactive for failing too long is told of. */
  logger: Pick<LoggerService, 'warn'>;
}

/**
 * Writes a worker's outcomes to the database: each batch, with what it changes of the webhooks'
 * health (see `healthChanges`), in one pipelined transaction; lease extensions in a statement of
 * their own.
 */
export class DatabaseOutcomeWriter implements OutcomeWriter {
  constructor(
    private readonly queue: DeliveryQueue,
    private readonly transactions: Transactions,
    private readonly health: WebhookHealthWrites,
    private readonly directory: WebhookDirectory,
    private readonly options: OutcomeWriterOptions,
  ) {}

  statementLimits(): Promise<StatementLimits> {
    return this.queue.statementLimits();
  }

  write(
    completions: Completion[],
    recheck: boolean,
  ): Promise<{ recorded: Completion[]; promoted: number }> {
    return this.transactions.pipeline(async (tx) => {
      const written = await this.queue.record(tx, completions, this.options.owner, recheck);
      const raised = await this.recordHealth(tx, written.recorded);
      await tx.commit();
      // new deliveries to send: the worker is woken as for promoted ones
      return { ...written, promoted: written.promoted + raised };
    });
  }

  async extendLeases(ids: string[]): Promise<void> {
    const { owner, leaseMs } = this.options;
    await this.transactions.run((manager) => this.queue.extendLeases(manager, ids, owner, leaseMs));
  }

  /**
   * Writes what the outcomes change of the webhooks' health, and the operational events that
   * raises (answers how many deliveries of them). What the directory holds of each webhook spares
   * the writes that would change nothing; each event is raised by a write that changed something,
   * so once whichever instance gets there first.
   */
  private async recordHealth(tx: Pipeline, recorded: Completion[]): Promise<number> {
    const now = new Date();
    const stateOf = (id: string) => {
      const target = this.directory.target(id);
      return (
        target && {
          state: target.state,
          failingSince: this.directory.failingSince(id),
          failingAlerted: this.directory.failingAlerted(id),
        }
      );
    };
    const changes = healthChanges(
      recorded.map(({ delivery, decision }) => ({
        webhookId: delivery.webhookId,
        ping: delivery.test,
        verdict: verdictOf(decision.kind),
      })),
      stateOf,
      now,
      this.options.disableAfterMs,
      this.options.failingAfterMs,
    );
    const lastError = new Map<string, string | null>();
    for (const { delivery, result } of recorded) lastError.set(delivery.webhookId, result.error);
    const events: OperationalEvent[] = [];
    const raise = (name: OperationalEvent['name'], id: string, details: Record<string, unknown>) =>
      events.push({
        name,
        about: { id, uri: this.directory.target(id)?.uri ?? '' },
        details: { ...details, lastError: lastError.get(id) ?? null },
      });

    for (const id of changes.recoveredAfterAlert) {
      if (await this.health.endAlert(tx, id)) {
        raise('webhook_recovered', id, {
          failingSince: this.directory.failingSince(id)?.toISOString() ?? null,
        });
      }
    }
    this.health.recordSuccess(tx, changes.recovered);
    for (const { webhookId, reason } of changes.gone) {
      if (await this.health.deactivate(tx, webhookId, reason)) {
        raise('webhook_disabled', webhookId, { reason });
      }
    }
    this.health.markFailing(tx, changes.startFailing, now);
    for (const id of changes.alert) {
      if (await this.health.alertFailing(tx, id, changes.alertThreshold)) {
        raise('webhook_failing', id, {
          failingSince: this.directory.failingSince(id)?.toISOString() ?? null,
        });
      }
    }
    for (const { webhookId, reason } of changes.overdue) {
      if (await this.health.disableIfFailingSince(tx, webhookId, changes.threshold, reason)) {
        this.options.logger.warn(`Webhook ${webhookId} made inactive: failing for too long`);
        raise('webhook_disabled', webhookId, { reason });
      }
    }
    for (const { delivery, result, decision } of recorded) {
      const failedForGood = decision.kind === 'dead' || decision.kind === 'gone';
      // Not for tests, nor for operational deliveries (no event about an event), nor for those
      // never sent because their webhook is inactive (each of a disabled webhook's backlog).
      if (!failedForGood || delivery.test || isOperationalEventName(delivery.event)) continue;
      if (result.error === INACTIVE_ERROR) continue;
      events.push({
        name: 'delivery_exhausted',
        about: {
          id: delivery.webhookId,
          uri: this.directory.target(delivery.webhookId)?.uri ?? '',
        },
        details: {
          delivery: {
            id: delivery.id,
            event: delivery.event,
            channelId: delivery.channelId,
            messageId: delivery.messageId,
          },
          attempts: delivery.attempts + 1,
          lastError: result.error,
        },
      });
    }
    return events.length === 0 ? 0 : this.options.operational.write(tx, events, now);
  }
}
