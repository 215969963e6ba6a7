import { Column, Entity, Index } from 'typeorm';
import { BigIntPrimaryKey, bigintId } from '../database/bigint.js';

/**
 * The states of a delivery, as stored. A (webhook, channel) pair's deliveries form a line:
 * `Waiting`: behind an earlier delivery of its line;
 * `Pending`: the head of its line, sendable at next_attempt_at (retries stay pending);
 * `Succeeded` / `Failed` (dead): done, and the line moves on.
 */
export const DeliveryStatus = {
  Waiting: 'waiting',
  Pending: 'pending',
  Succeeded: 'succeeded',
  Failed: 'failed',
} as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/** Not done yet: the line is busy while one of its deliveries is in one of these. */
export const OPEN_STATUSES: readonly DeliveryStatus[] = [
  DeliveryStatus.Pending,
  DeliveryStatus.Waiting,
];
/** The same, as an SQL list for the hand-written statements. */
export const OPEN_SQL = `(${OPEN_STATUSES.map((status) => `'${status}'`).join(', ')})`;

/** One message to one webhook: a channel event fanned out, or a test ping. */
@Entity({ name: 'delivery' })
@Index('IDX_delivery_due', ['status', 'nextAttemptAt'])
@Index('IDX_delivery_fresh', ['status', 'attempts', 'nextAttemptAt'])
@Index('IDX_delivery_line', ['channelId', 'webhookId', 'status', 'id'])
@Index('IDX_delivery_log', ['webhookId', 'id'])
@Index('IDX_delivery_finished', ['status', 'updatedAt'])
@Index('IDX_delivery_last_attempt', ['webhookId', 'lastAttemptAt'])
@Index('IDX_delivery_event', ['eventId'])
@Index('IDX_delivery_message', ['messageId'])
export class DeliveryEntity {
  @BigIntPrimaryKey()
  id: string;

  @Column({ name: 'webhook_id', type: 'bigint', transformer: bigintId })
  webhookId: string;

  /** Null for test pings, which belong to no line. */
  @Column({ name: 'channel_id', type: 'bigint', nullable: true, transformer: bigintId })
  channelId: string | null;

  /** The outbox row whose body is sent; null for test pings (their body is stored here). */
  @Column({ name: 'event_id', type: 'bigint', nullable: true, transformer: bigintId })
  eventId: string | null;

  @Column({ type: 'varchar', length: 32 })
  event: string;

  /** The `webhook-id` header: the same on every attempt and redelivery. */
  @Column({ name: 'message_id', type: 'varchar', length: 64 })
  messageId: string;

  @Column({ type: 'text', nullable: true })
  body: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  /** Set while a later delivery of the same line waits behind this one. */
  @Column({ name: 'has_followers', type: 'boolean', default: false })
  hasFollowers: boolean;

  /**
   * A test sent by POST /v1/webhook/{id}/test (a ping, or an event's example): one attempt, marked
   * `webhook-test: true`, never counted in the webhook's health or recovered.
   */
  @Column({ type: 'boolean', default: false })
  test: boolean;

  /** Attempts allowed in all; a redelivery raises it by one. */
  @Column({ name: 'max_attempts', type: 'int' })
  maxAttempts: number;

  @Column({ name: 'next_attempt_at', type: 'datetime', precision: 3, nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'lease_until', type: 'datetime', precision: 3, nullable: true })
  leaseUntil: Date | null;

  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner: string | null;

  @Column({ name: 'last_status_code', type: 'int', nullable: true })
  lastStatusCode: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 1024, nullable: true })
  lastError: string | null;

  @Column({ name: 'last_attempt_at', type: 'datetime', precision: 3, nullable: true })
  lastAttemptAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

@Entity({ name: 'delivery_attempt' })
@Index('IDX_delivery_attempt_delivery', ['deliveryId', 'id'])
@Index('IDX_delivery_attempt_at', ['at'])
export class DeliveryAttemptEntity {
  @BigIntPrimaryKey()
  id: string;

  @Column({ name: 'delivery_id', type: 'bigint', transformer: bigintId })
  deliveryId: string;

  @Column({ type: 'datetime', precision: 3 })
  at: Date;

  @Column({ name: 'status_code', type: 'int', nullable: true })
  statusCode: number | null;

  @Column({ name: 'duration_ms', type: 'int' })
  durationMs: number;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  error: string | null;

  /** The receiver's answer, cut at DELIVERY_RESPONSE_MAX_BYTES (…_SUCCESS for a 2xx) of UTF-8. */
  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody: string | null;

  /** The answer was longer than `responseBody` keeps. */
  @Column({ name: 'response_truncated', type: 'boolean', default: false })
  responseTruncated: boolean;

  /** The headers sent, as JSON text, custom values masked; null for attempts recorded before them. */
  @Column({ name: 'request_headers', type: 'text', nullable: true })
  requestHeaders: string | null;

  /** The answer's headers (bounded), as JSON text; null when no answer came. */
  @Column({ name: 'response_headers', type: 'text', nullable: true })
  responseHeaders: string | null;
}
