import { Column, Entity, Index } from 'typeorm';
import { BigIntPrimaryKey } from '../database/bigint.js';

export const CHANNEL_STATUSES = ['idle', 'live', 'stopped', 'ended'] as const;
export type ChannelStatus = (typeof CHANNEL_STATUSES)[number];

/** Times are set by the service (not by column defaults) so a snapshot equals what GET returns. */
@Entity({ name: 'channel' })
@Index('IDX_channel_end_due', ['status', 'endDueAt'])
@Index('IDX_channel_last_seen', ['status', 'lastSeenAt'])
export class ChannelEntity {
  @BigIntPrimaryKey()
  id: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: ChannelStatus;

  /** Seconds a stopped channel waits for its publisher before it ends. */
  @Column({ name: 'reconnect_window', type: 'int' })
  reconnectWindow: number;

  @Index('UQ_channel_stream_key', { unique: true })
  @Column({ name: 'stream_key', type: 'varchar', length: 64, select: false })
  streamKey: string;

  /**
   * The stream key the live session was published with: its publish_done stops it even after a
   * rotation (publishing needs the current key).
   */
  @Index('IDX_channel_session_stream_key')
  @Column({
    name: 'session_stream_key',
    type: 'varchar',
    length: 64,
    nullable: true,
    select: false,
  })
  sessionStreamKey: string | null;

  @Column({ name: 'session_id', type: 'varchar', length: 64, nullable: true })
  sessionId: string | null;

  @Column({ name: 'live_at', type: 'datetime', precision: 3, nullable: true })
  liveAt: Date | null;

  @Column({ name: 'stopped_at', type: 'datetime', precision: 3, nullable: true })
  stoppedAt: Date | null;

  @Column({ name: 'ended_at', type: 'datetime', precision: 3, nullable: true })
  endedAt: Date | null;

  /** When a stopped channel's reconnect window runs out; the expiry scan looks for these. */
  @Column({ name: 'end_due_at', type: 'datetime', precision: 3, nullable: true })
  endDueAt: Date | null;

  /** The last hook of a live channel's media server (publish or update): see INGEST_STALE_AFTER. */
  @Column({ name: 'last_seen_at', type: 'datetime', precision: 3, nullable: true, select: false })
  lastSeenAt?: Date | null;

  /**
   * The address of the media server that published the live session (the hook caller's, not the
   * publisher's): the same server asking again for the name may be taking the session over.
   */
  @Column({
    name: 'session_media_server',
    type: 'varchar',
    length: 64,
    nullable: true,
    select: false,
  })
  sessionMediaServer?: string | null;

  /** The gap between the session's last two hooks: its media server's update interval. */
  @Column({ name: 'heartbeat_ms', type: 'int', nullable: true, select: false })
  heartbeatMs?: number | null;

  /**
   * The channel was stopped by the stale check, not by its media server: an update from its
   * publisher within the reconnect window makes it live again.
   */
  @Column({ name: 'stopped_stale', type: 'boolean', nullable: true, select: false })
  stoppedStale?: boolean | null;

  /**
   * The sequence number of the channel's last event (0 before its first): its next event carries
   * one more. Read and written only with the channel's lifecycle.
   */
  @Column({ name: 'event_sequence', type: 'int', default: 0, select: false })
  eventSequence?: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
