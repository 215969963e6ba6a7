import type { OperationalEventName } from '../common/channel-event-name.js';
import type { Pipeline } from '../database/pipeline.js';
import type { Sql, SqlValue } from '../database/sql.js';
import type { WebhookDirectory } from '../webhook/webhook-directory.js';
import { DeliveryStatus } from './delivery.entity.js';
import { newMessageId } from './signature.js';

/** An operational event: what happened, to which webhook, and what else its body tells. */
export interface OperationalEvent {
  name: OperationalEventName;
  about: { id: string; uri: string };
  /** The body's other keys (reason, last error, the delivery). */
  details: Record<string, unknown>;
}

/** The error of an attempt never made because its webhook is inactive (see the worker). */
export const INACTIVE_ERROR = 'webhook is inactive';

/** Deliveries per INSERT. */
const INSERT_CHUNK = 500;

/**
 * Writes operational events as deliveries, in the transaction that records what raised them (the
 * outcomes of a batch): to every active webhook subscribed to the event by name, never the one
 * it is about. Each is a delivery of its own (no channel, so no line: one does not wait behind
 * another), signed, retried, logged and recovered like any.
 */
export class OperationalEvents {
  constructor(
    private readonly sql: Sql,
    private readonly directory: WebhookDirectory,
    private readonly maxAttempts: number,
  ) {}

  /** Queues the deliveries (deferred: they go with the commit); answers how many. */
  write(tx: Pipeline, events: OperationalEvent[], now: Date): number {
    const rows: SqlValue[][] = [];
    const time = this.sql.time(now);
    for (const event of events) {
      const body = JSON.stringify({
        event: event.name,
        eventTime: now.getTime(),
        webhook: event.about,
        ...event.details,
      });
      for (const target of this.directory.operationalSubscribers(event.name, event.about.id)) {
        rows.push([
          target.id,
          event.name,
          newMessageId(),
          body,
          DeliveryStatus.Pending,
          this.maxAttempts,
          time,
          time,
        ]);
      }
    }
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      tx.defer(
        'INSERT INTO delivery (webhook_id, channel_id, event_id, event, message_id, body, status,' +
          ' attempts, max_attempts, has_followers, test, next_attempt_at, created_at, updated_at)' +
          ` VALUES ${chunk.map(() => `(?, NULL, NULL, ?, ?, ?, ?, 0, ?, 0, 0, ${this.sql.now}, ?, ?)`).join(', ')}`,
        chunk.flat(),
      );
    }
    return rows.length;
  }
}
