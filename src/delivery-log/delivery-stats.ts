import { Injectable } from '@nestjs/common';
import { Reads } from '../database/reads.js';
import { field, rowsOf } from '../database/rows.js';
import { Sql } from '../database/sql.js';
import { DeliveryStatus } from '../delivery/delivery.entity.js';
import { type LatencyBucket, latencyBucketSql } from './latency-histogram.js';

/** A webhook's most recent attempt, as its delivery records it. */
export interface LastAttempt {
  at: Date;
  statusCode: number | null;
  error: string | null;
}

/** A webhook's open deliveries. */
export interface OpenDeliveries {
  pending: number;
  /** The earliest due time among them (null: none scheduled, e.g. all held or waiting). */
  nextAt: Date | null;
}

/** A webhook's attempts in a window: per time bucket, and their durations' histogram. */
export interface WindowStats {
  /** Per time bucket index: attempts and successes (2xx). */
  buckets: Map<number, { attempts: number; succeeded: number }>;
  latency: LatencyBucket[];
}

const OPEN = `('${DeliveryStatus.Pending}', '${DeliveryStatus.Waiting}')`;
const SUCCESS = 'a.status_code >= 200 AND a.status_code < 300';

/** Where the window's attempts come from: those made at or after a time. */
const WINDOW_ATTEMPTS =
  ' FROM delivery_attempt a JOIN delivery d ON d.id = a.delivery_id WHERE a.at >= ?';

/** The overview's statements, by name (`db` writes what differs between the databases). */
const SQL = {
  /** Each of `count` webhooks' most recent attempt: one seek each. */
  lastAttempts: (db: Sql, count: number) =>
    'SELECT w.id AS webhookId, d.last_attempt_at AS at, d.last_status_code AS statusCode,' +
    ' d.last_error AS error FROM webhook w JOIN delivery d ON d.id = (SELECT l.id FROM delivery l' +
    ' WHERE l.webhook_id = w.id AND l.last_attempt_at IS NOT NULL' +
    ' ORDER BY l.last_attempt_at DESC, l.id DESC LIMIT 1)' +
    ` WHERE w.id IN (${db.list(count)})`,
  open:
    'SELECT webhook_id AS webhookId, COUNT(*) AS pending, MIN(next_attempt_at) AS nextAt' +
    ` FROM delivery WHERE status IN ${OPEN} GROUP BY webhook_id`,
  /** Attempts per webhook and time bucket: `bounds` bucket bounds, then the window's start. */
  byTime: (bounds: number) =>
    'SELECT d.webhook_id AS webhookId,' +
    ` CASE ${Array.from({ length: bounds }, (_, index) => `WHEN a.at < ? THEN ${index}`).join(' ')} ELSE ${bounds} END AS bucket,` +
    ` COUNT(*) AS attempts, SUM(CASE WHEN ${SUCCESS} THEN 1 ELSE 0 END) AS succeeded${WINDOW_ATTEMPTS}` +
    ' GROUP BY d.webhook_id, bucket',
  byDuration:
    `SELECT d.webhook_id AS webhookId, ${latencyBucketSql('a.duration_ms')} AS bucket,` +
    ` COUNT(*) AS count, MIN(a.duration_ms) AS minMs, MAX(a.duration_ms) AS maxMs${WINDOW_ATTEMPTS}` +
    ' GROUP BY d.webhook_id, bucket',
};

const LAST_ATTEMPTS = rowsOf({
  webhookId: field.id,
  at: field.time,
  statusCode: field.orNull(field.int),
  error: field.orNull(field.text),
});
const OPEN_COUNTS = rowsOf({
  webhookId: field.id,
  pending: field.int,
  nextAt: field.orNull(field.time),
});
const BY_TIME = rowsOf({
  webhookId: field.id,
  bucket: field.int,
  attempts: field.int,
  succeeded: field.int,
});
const BY_DURATION = rowsOf({
  webhookId: field.id,
  bucket: field.int,
  count: field.int,
  minMs: field.int,
  maxMs: field.int,
});

/**
 * The webhooks' overview as a read model of the console: aggregates of the delivery log, in a
 * fixed number of grouped queries whatever the number of webhooks, each on an index
 * (delivery_attempt (at) for the window, delivery (webhook_id, last_attempt_at) for the last
 * attempts, delivery (status, …) for the open ones). It reads tables it does not own (delivery and
 * delivery_attempt of the engine, webhook of the webhook module) and writes none: joined by hand
 * in one statement each, which no owner's own method could do without a query per webhook.
 */
@Injectable()
export class DeliveryStats {
  constructor(
    private readonly reads: Reads,
    private readonly sql: Sql,
  ) {}

  /** Each webhook's most recent attempt (of any delivery, test pings included): one seek each. */
  async lastAttempts(webhookIds: string[]): Promise<Map<string, LastAttempt>> {
    if (webhookIds.length === 0) return new Map();
    const rows = LAST_ATTEMPTS(
      await this.reads.query(SQL.lastAttempts(this.sql, webhookIds.length), webhookIds),
    );
    return new Map(rows.map(({ webhookId, ...last }) => [webhookId, last]));
  }

  /** Open deliveries per webhook (read through the status index: only the open ones). */
  async open(): Promise<Map<string, OpenDeliveries>> {
    const rows = OPEN_COUNTS(await this.reads.query(SQL.open));
    return new Map(rows.map(({ webhookId, ...open }) => [webhookId, open]));
  }

  /**
   * Attempts made at or after `since`, per webhook: counted per time bucket (bucket i starts at
   * bucketStarts[i]; the first starts at `since`) and by duration.
   */
  async window(since: Date, bucketStarts: Date[]): Promise<Map<string, WindowStats>> {
    const bounds = bucketStarts.slice(1);
    const [byTime, byDuration] = await Promise.all([
      this.reads.query(SQL.byTime(bounds.length), [
        ...bounds.map((bound) => this.sql.time(bound)),
        this.sql.time(since),
      ]),
      this.reads.query(SQL.byDuration, [this.sql.time(since)]),
    ]);
    const stats = new Map<string, WindowStats>();
    const of = (webhookId: string) => {
      let entry = stats.get(webhookId);
      if (!entry) {
        entry = { buckets: new Map(), latency: [] };
        stats.set(webhookId, entry);
      }
      return entry;
    };
    for (const { webhookId, bucket, attempts, succeeded } of BY_TIME(byTime)) {
      of(webhookId).buckets.set(bucket, { attempts, succeeded });
    }
    for (const { webhookId, bucket, count, minMs, maxMs } of BY_DURATION(byDuration)) {
      of(webhookId).latency.push({ index: bucket, count, minMs, maxMs });
    }
    return stats;
  }
}
