import { Injectable } from '@nestjs/common';
import type { Pipeline } from '../database/pipeline.js';
import { Sql } from '../database/sql.js';
import { BUMP_VERSION } from './webhook.repository.js';
import { disabledFor } from './webhook-state.js';

/**
 * The webhook table's writes of delivery health, made in the outcome writer's transaction: a
 * failing run starting or ending, and a webhook made inactive (410 Gone, or failing too long). The
 * decisions are `webhook-health.ts`'s; each write moves the directory's version on.
 */
@Injectable()
export class WebhookHealthWrites {
  constructor(private readonly sql: Sql) {}

  /**
   * Deliveries to these webhooks failed: a failing run starts now for those not already failing
   * (deferred; a change delivery reads, so the version moves on).
   */
  markFailing(tx: Pipeline, ids: string[], now: Date): void {
    if (ids.length === 0) return;
    tx.defer(
      `UPDATE webhook SET failing_since = ? WHERE id IN (${this.sql.list(ids.length)})` +
        ' AND failing_since IS NULL',
      [this.sql.time(now), ...ids],
    );
    tx.defer(BUMP_VERSION);
  }

  /** Deliveries to these webhooks succeeded: their failing runs are over (deferred). */
  recordSuccess(tx: Pipeline, ids: string[]): void {
    if (ids.length === 0) return;
    tx.defer(
      'UPDATE webhook SET failing_since = NULL, failing_alerted = 0' +
        ` WHERE id IN (${this.sql.list(ids.length)})`,
      ids,
    );
    tx.defer(BUMP_VERSION);
  }

  /**
   * Marks a webhook's failing run as told of when it began at `threshold` or earlier and was not
   * yet; answers whether this call did (so webhook_failing is raised once per run, whichever
   * instance gets there first).
   */
  async alertFailing(tx: Pipeline, id: string, threshold: Date): Promise<boolean> {
    const changed = this.sql.changed(
      await tx.query(
        this.sql.counting(
          "UPDATE webhook SET failing_alerted = 1 WHERE id = ? AND state = 'active'" +
            ' AND failing_alerted = 0 AND failing_since IS NOT NULL AND failing_since <= ?',
        ),
        [id, this.sql.time(threshold)],
      ),
    );
    if (changed > 0) tx.defer(BUMP_VERSION);
    return changed > 0;
  }

  /**
   * Ends a told-of run ahead of recordSuccess (in the same transaction); answers whether it was
   * told of, so webhook_recovered is raised once.
   */
  async endAlert(tx: Pipeline, id: string): Promise<boolean> {
    const changed = this.sql.changed(
      await tx.query(
        this.sql.counting(
          'UPDATE webhook SET failing_alerted = 0 WHERE id = ? AND failing_alerted = 1',
        ),
        [id],
      ),
    );
    return changed > 0;
  }

  /**
   * Makes a webhook inactive when its failing run began at `threshold` or earlier; answers
   * whether it did.
   */
  async disableIfFailingSince(
    tx: Pipeline,
    id: string,
    threshold: Date,
    reason: string,
  ): Promise<boolean> {
    const disabled = disabledFor(reason);
    const changed = this.sql.changed(
      await tx.query(
        this.sql.counting(
          'UPDATE webhook SET state = ?, disabled_reason = ?, updated_at = ?' +
            " WHERE id = ? AND state = 'active' AND failing_since <= ?",
        ),
        [
          disabled.state,
          disabled.disabledReason,
          this.sql.time(new Date()),
          id,
          this.sql.time(threshold),
        ],
      ),
    );
    if (changed === 0) return false;
    tx.defer(BUMP_VERSION);
    return true;
  }

  /**
   * Makes a webhook inactive (a receiver answered 410 Gone); PUT {active: true} brings it back.
   * Answers whether it was not disabled already (so webhook_disabled is raised once).
   */
  async deactivate(tx: Pipeline, id: string, reason: string): Promise<boolean> {
    const disabled = disabledFor(reason);
    const changed = this.sql.changed(
      await tx.query(
        this.sql.counting(
          'UPDATE webhook SET state = ?, disabled_reason = ?, updated_at = ?' +
            " WHERE id = ? AND state <> 'disabled'",
        ),
        [disabled.state, disabled.disabledReason, this.sql.time(new Date()), id],
      ),
    );
    tx.defer(BUMP_VERSION);
    return changed > 0;
  }
}
