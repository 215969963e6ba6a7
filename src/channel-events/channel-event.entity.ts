import { Column, Entity, Index } from 'typeorm';
import type { ChannelEventName } from '../common/channel-event-name.js';
import { BigIntPrimaryKey, bigintId, bigintNumber } from '../database/bigint.js';

/**
 * The outbox: one row per channel transition, written in the transaction that changes the channel.
 * `body` is the exact JSON every callback for this event sends; it is built once and never
 * re-serialised, so what is signed is what was stored.
 */
@Entity({ name: 'channel_event' })
@Index('IDX_channel_event_undispatched', ['dispatchedAt', 'id'])
@Index('IDX_channel_event_channel', ['channelId', 'id'])
export class ChannelEventEntity {
  @BigIntPrimaryKey()
  id: string;

  @Column({ type: 'varchar', length: 32 })
  name: ChannelEventName;

  /** No foreign key: a deleted channel's last events must still be delivered. */
  @Column({ name: 'channel_id', type: 'bigint', transformer: bigintId })
  channelId: string;

  @Column({ name: 'session_id', type: 'varchar', length: 64, nullable: true })
  sessionId: string | null;

  /** When the event happened, in ms since the epoch (the callback's eventTime). */
  @Column({ name: 'event_time', type: 'bigint', transformer: bigintNumber })
  eventTime: number;

  /** 1 for the channel's first event, one more for each after it (the callback's sequence). */
  @Column({ type: 'int', default: 0 })
  sequence: number;

  @Column({ type: 'text' })
  body: string;

  /** The W3C traceparent of the transition that recorded it, with tracing on. */
  @Column({ name: 'trace_parent', type: 'varchar', length: 55, nullable: true })
  traceParent: string | null;

  /** A large fan-out commits in chunks: the last webhook id done so far. */
  @Column({ name: 'fanout_cursor', type: 'bigint', nullable: true, transformer: bigintId })
  fanoutCursor: string | null;

  /** Set once the event has been fanned out into deliveries; null rows are the sweeper's work. */
  @Column({ name: 'dispatched_at', type: 'datetime', precision: 3, nullable: true })
  dispatchedAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
