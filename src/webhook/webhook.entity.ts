import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { EventSubscription } from '../common/channel-event-name.js';
import { BigIntPrimaryKey, bigintId } from '../database/bigint.js';
import type { WebhookState } from './webhook-state.js';

@Entity({ name: 'webhook' })
export class WebhookEntity {
  @BigIntPrimaryKey()
  id: string;

  @Column({ type: 'varchar', length: 2048 })
  uri: string;

  /** Active, paused by its owner or disabled by the service (see webhook-state.ts). */
  @Column({ type: 'varchar', length: 16, default: 'active' })
  state: WebhookState;

  @Column({ type: 'varchar', length: 128, select: false })
  secret: string;

  /** The secret before the last rotation: it still signs until previousSecretExpiresAt. */
  @Column({ name: 'previous_secret', type: 'varchar', length: 128, nullable: true, select: false })
  previousSecret: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'datetime', precision: 3, nullable: true })
  previousSecretExpiresAt: Date | null;

  /** Start of the current run of failed deliveries; null once one succeeds. */
  @Column({ name: 'failing_since', type: 'datetime', precision: 3, nullable: true })
  failingSince: Date | null;

  /** The failing run has been told of (webhook_failing): its end is, once (webhook_recovered). */
  @Column({ name: 'failing_alerted', type: 'boolean', default: false })
  failingAlerted: boolean;

  /** Why the service disabled it; null unless disabled. */
  @Column({ name: 'disabled_reason', type: 'varchar', length: 255, nullable: true })
  disabledReason: string | null;

  /** At most this many deliveries per second (null: no limit); those over it wait. */
  @Column({ name: 'rate_limit', type: 'int', nullable: true })
  rateLimit: number | null;

  /** The caller's own headers for every attempt, as JSON text (null: none): credentials. */
  @Column({ type: 'text', nullable: true, select: false })
  headers: string | null;

  /**
   * The channels it is limited to, as a JSON array of id strings; null: every channel. A channel
   * deleted since stays listed and simply never matches.
   */
  @Column({ type: 'text', nullable: true })
  channels: string | null;

  @OneToMany(() => WebhookEventEntity, (subscription) => subscription.webhook, { cascade: true })
  events: WebhookEventEntity[];

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** One row per subscribed event (or `all`): fan-out and the list filter look webhooks up by it. */
@Entity({ name: 'webhook_event' })
@Index('IDX_webhook_event_event', ['event', 'webhookId'])
export class WebhookEventEntity {
  @PrimaryColumn({ name: 'webhook_id', type: 'bigint', transformer: bigintId })
  webhookId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  event: EventSubscription;

  /** Keeps the order in which the caller listed the events. */
  @Column({ type: 'smallint' })
  position: number;

  @ManyToOne(() => WebhookEntity, (webhook) => webhook.events, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id' })
  webhook: WebhookEntity;
}
