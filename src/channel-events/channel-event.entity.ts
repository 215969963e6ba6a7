import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ChannelEventName } from '../common/channel-event-name.js';

/**
 * The outbox: one row per channel transition, written in the transaction that changes the channel.
 * `body` is the exact JSON every callback for this event sends; it is built once and never
 * re-serialised, so what is signed is what was stored.
 */
@Entity({ name: 'channel_event' })
@Index('IDX_channel_event_undispatched', ['dispatchedAt', 'id'])
@Index('IDX_channel_event_channel', ['channelId', 'id'])
export class ChannelEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string | number;

  @Column({ type: 'varchar', length: 32 })
  name: ChannelEventName;

  /** No foreign key: a deleted channel's last events must still be delivered. */
  @Column({ name: 'channel_id', type: 'bigint' })
  channelId: string | number;

  @Column({ name: 'session_id', type: 'varchar', length: 64, nullable: true })
  sessionId: string | null;

  /** When the event happened, in ms since the epoch (the callback's eventTime). */
  @Column({ name: 'event_time', type: 'bigint' })
  eventTime: string | number;

  @Column({ type: 'text' })
  body: string;

  /** Set once the event has been fanned out into deliveries; null rows are the sweeper's work. */
  @Column({ name: 'dispatched_at', type: 'datetime', precision: 3, nullable: true })
  dispatchedAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
