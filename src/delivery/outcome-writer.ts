import type { LoggerService } from '@nestjs/common';
import type { Pipeline } from '../database/pipeline.js';
import type { Transactions } from '../database/transactions.js';
import type { WebhookDirectory } from '../webhook/webhook-directory.js';
import { healthChanges, verdictOf } from '../webhook/webhook-health.js';
import type { WebhookHealthWrites } from '../webhook/webhook-health.writes.js';
import type { Completion, DeliveryQueue } from './delivery.queue.js';
import type { StatementLimits } from './outcome-batches.js';
import type { OutcomeWriter } from './outcome-recorder.js';

export interface OutcomeWriterOptions {
  /** The owner the worker's leases are taken under. */
  owner: string;
  leaseMs: number;
  /** WEBHOOK_DISABLE_AFTER, in ms. */
  disableAfterMs: number;
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
      await this.recordHealth(tx, written.recorded);
      await tx.commit();
      return written;
    });
  }

  async extendLeases(ids: string[]): Promise<void> {
    const { owner, leaseMs } = this.options;
    await this.transactions.run((manager) => this.queue.extendLeases(manager, ids, owner, leaseMs));
  }

  /**
   * Writes what the outcomes change of the webhooks' health. What the directory holds of each
   * webhook spares the writes that would change nothing.
   */
  private async recordHealth(tx: Pipeline, recorded: Completion[]): Promise<void> {
    const now = new Date();
    const changes = healthChanges(
      recorded.map(({ delivery, decision }) => ({
        webhookId: delivery.webhookId,
        ping: delivery.test,
        verdict: verdictOf(decision.kind),
      })),
      (id) => {
        const target = this.directory.target(id);
        return target && { state: target.state, failingSince: this.directory.failingSince(id) };
      },
      now,
      this.options.disableAfterMs,
    );
    this.health.recordSuccess(tx, changes.recovered);
    for (const { webhookId, reason } of changes.gone) this.health.deactivate(tx, webhookId, reason);
    this.health.markFailing(tx, changes.startFailing, now);
    for (const { webhookId, reason } of changes.overdue) {
      if (await this.health.disableIfFailingSince(tx, webhookId, changes.threshold, reason)) {
        this.options.logger.warn(`Webhook ${webhookId} made inactive: failing for too long`);
      }
    }
  }
}
