import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * `waiting`: behind an earlier delivery of its line (same webhook and channel);
 * `pending`: the head of its line, sendable at next_attempt_at (retries stay pending);
 * `succeeded` / `failed` (dead): done, and the line moves on.
 */
export const DELIVERY_STATUSES = ['waiting', 'pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One message to one webhook: a channel event fanned out, or a test ping. */
@Entity({ name: 'delivery' })
@Index('IDX_delivery_due', ['status', 'nextAttemptAt'])
@Index('IDX_delivery_line', ['channelId', 'webhookId', 'status', 'id'])
@Index('IDX_delivery_log', ['webhookId', 'id'])
export class DeliveryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string | number;

  @Column({ name: 'webhook_id', type: 'bigint' })
  webhookId: string | number;

  /** Null for test pings, which belong to no line. */
  @Column({ name: 'channel_id', type: 'bigint', nullable: true })
  channelId: string | number | null;

  /** The outbox row whose body is sent; null for test pings (their body is stored here). */
  @Column({ name: 'event_id', type: 'bigint', nullable: true })
  eventId: string | number | null;

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
export class DeliveryAttemptEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string | number;

  @Column({ name: 'delivery_id', type: 'bigint' })
  deliveryId: string | number;

  @Column({ type: 'datetime', precision: 3 })
  at: Date;

  @Column({ name: 'status_code', type: 'int', nullable: true })
  statusCode: number | null;

  @Column({ name: 'duration_ms', type: 'int' })
  durationMs: number;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  error: string | null;

  /** The receiver's answer, cut at 64 KiB. */
  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody: string | null;
}
