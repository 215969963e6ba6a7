import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '../database/data-source.token.js';
import { DataSource, type EntityManager } from 'typeorm';
import type { Pipeline } from '../database/pipeline.js';
import { field, insertedId, type Row, rowsOf } from '../database/rows.js';
import { Sql, type SqlValue } from '../database/sql.js';
import { Reads } from '../database/reads.js';
import { CHANNEL_STATUSES, ChannelEntity, type ChannelStatus } from './channel.entity.js';

export type NewChannel = Omit<ChannelEntity, 'id'>;

/** A channel's state after its transitions, and the state they left from. */
export interface SavedTransition {
  channel: ChannelEntity;
  from: ChannelStatus;
}

/** Every column but the stream key, as read by hand. */
const CHANNEL_COLUMNS =
  'id, name, description, status, reconnect_window AS reconnectWindow, session_id AS sessionId,' +
  ' live_at AS liveAt, stopped_at AS stoppedAt, ended_at AS endedAt, end_due_at AS endDueAt,' +
  ' created_at AS createdAt, updated_at AS updatedAt';

const DAY_MS = 86_400_000;

/** What the lifecycle reads besides: how the session's media server was last heard from. */
const LIVENESS_COLUMNS =
  'last_seen_at AS lastSeenAt, session_media_server AS sessionMediaServer,' +
  ' heartbeat_ms AS heartbeatMs, stopped_stale AS stoppedStale, event_sequence AS eventSequence';

/** Every column a transition reads, and the database's time. */
const lifecycleColumns = (db: Sql) => `${CHANNEL_COLUMNS}, ${LIVENESS_COLUMNS}, ${db.now} AS dbNow`;

/** The channel table's statements, by name (`db` writes what differs between the databases). */
const SQL = {
  byId: `SELECT ${CHANNEL_COLUMNS} FROM channel WHERE id = ?`,
  /** Channels by current or session stream key (each of `count` keys given twice), locked. */
  lockByStreamKeys: (db: Sql, count: number) =>
    `SELECT ${lifecycleColumns(db)}, stream_key AS streamKey,` +
    ' session_stream_key AS sessionStreamKey' +
    ` FROM channel WHERE stream_key IN (${db.list(count)}) OR session_stream_key IN (${db.list(count)})` +
    db.forUpdate(),
  /** `set` for `count` channels, each guarded by the status it left from (id, status pairs). */
  saveTransitions: (db: Sql, set: string, count: number) =>
    db.counting(
      `UPDATE channel SET ${set} WHERE id IN (${db.list(count)})` +
        ` AND status = CASE id ${Array.from({ length: count }, () => 'WHEN ? THEN ?').join(' ')} END`,
    ),
  /** Stopped channels due by the time `due` (an SQL term), oldest due first, locked (SKIP LOCKED). */
  lockDueStopped: (db: Sql, due: string) =>
    `SELECT ${lifecycleColumns(db)} FROM channel` +
    ` WHERE status = 'stopped' AND end_due_at <= ${due}` +
    ` ORDER BY end_due_at LIMIT ?${db.forUpdate(true)}`,
  /**
   * Notes a live channel's media server as heard, by the database's clock with its heartbeat, or
   * at a given time. Both databases read last_seen_at as it was before this statement in the first
   * assignment (MySQL assigns left to right; SQLite reads the old row throughout). A gap of a day
   * or more is no heartbeat (and would not fit the column).
   */
  touch: (db: Sql, atGivenTime: boolean) => {
    const gap = db.ageMs('last_seen_at');
    const set = atGivenTime
      ? 'last_seen_at = ?'
      : `heartbeat_ms = CASE WHEN ${gap} < ${DAY_MS} THEN ROUND(${gap}) END, last_seen_at = ${db.now}`;
    return db.counting(
      `UPDATE channel SET ${set}` +
        " WHERE status = 'live' AND (stream_key = ? OR session_stream_key = ?)",
    );
  },
  /** Live channels last heard by the time `before` (an SQL term), locked (SKIP LOCKED). */
  lockStaleLive: (db: Sql, before: string) =>
    `SELECT ${lifecycleColumns(db)} FROM channel` +
    ` WHERE status = 'live' AND last_seen_at <= ${before}` +
    ` ORDER BY last_seen_at LIMIT ?${db.forUpdate(true)}`,
};

/** Locked channels, and the database's time when it locked them (transitions are as of then). */
export interface LockedChannels<T = ChannelEntity[]> {
  channels: T;
  now: Date | undefined;
}

const channelFields = {
  id: field.id,
  name: field.text,
  description: field.orNull(field.text),
  status: field.textOf<ChannelStatus>(),
  reconnectWindow: field.int,
  sessionId: field.orNull(field.text),
  liveAt: field.orNull(field.time),
  stoppedAt: field.orNull(field.time),
  endedAt: field.orNull(field.time),
  endDueAt: field.orNull(field.time),
  createdAt: field.time,
  updatedAt: field.time,
};
const lifecycleFields = {
  ...channelFields,
  lastSeenAt: field.orNull(field.time),
  sessionMediaServer: field.orNull(field.text),
  heartbeatMs: field.orNull(field.int),
  stoppedStale: field.orNull(field.flag),
  eventSequence: field.int,
  /** The database's time when it read the row. */
  dbNow: field.time,
};
const CHANNELS = rowsOf(channelFields);
const LIFECYCLE = rowsOf(lifecycleFields);
const BY_STREAM_KEY = rowsOf({
  ...lifecycleFields,
  streamKey: field.text,
  sessionStreamKey: field.orNull(field.text),
});
const STATUS_COUNTS = rowsOf({ status: field.textOf<ChannelStatus>(), count: field.int });
type ChannelRow = Row<typeof channelFields> | Row<typeof lifecycleFields>;

/** A channel as created: idle, with no session yet. */
export function newIdleChannel(
  fields: Pick<ChannelEntity, 'name' | 'description' | 'reconnectWindow' | 'streamKey'>,
  now: Date,
): NewChannel {
  return {
    ...fields,
    status: 'idle',
    sessionStreamKey: null,
    sessionId: null,
    liveAt: null,
    stoppedAt: null,
    endedAt: null,
    endDueAt: null,
    eventSequence: 0,
    createdAt: now,
    updatedAt: now,
  };
}
export type ChannelChanges = Partial<Omit<ChannelEntity, 'id' | 'createdAt'>>;

/**
 * All SQL of the channel table: reads, row locks, and the guarded update every transition is.
 * Methods that write take the caller's transaction.
 */
@Injectable()
export class ChannelRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reads: Reads,
    private readonly sql: Sql,
  ) {}

  async insert(manager: EntityManager, channel: NewChannel): Promise<string> {
    const inserted = await manager.insert(ChannelEntity, channel);
    return insertedId(inserted);
  }

  async findById(id: string): Promise<ChannelEntity | null> {
    const [row] = CHANNELS(await this.reads.query(SQL.byId, [id]));
    return row ? this.toEntity(row) : null;
  }

  /** One page, oldest first, optionally of one status; and the count of all matches. */
  page(
    status: ChannelStatus | undefined,
    offset: number,
    limit: number,
  ): Promise<[ChannelEntity[], number]> {
    return this.reads.manager.findAndCount(ChannelEntity, {
      where: status ? { status } : {},
      order: { id: 'ASC' },
      skip: offset,
      take: limit,
    });
  }

  async streamKeyOf(id: string): Promise<string | undefined> {
    const channel = await this.reads.manager
      .createQueryBuilder(ChannelEntity, 'channel')
      .addSelect('channel.streamKey')
      .where('channel.id = :id', { id })
      .getOne();
    return channel?.streamKey;
  }

  /** Locks the channel row for the caller's transaction. */
  lockById(manager: EntityManager, id: string): Promise<ChannelEntity | null> {
    return this.sql
      .lockRows(
        manager
          .createQueryBuilder(ChannelEntity, 'channel')
          .addSelect('channel.eventSequence')
          .where('channel.id = :id', { id }),
      )
      .getOne();
  }

  /**
   * Locks the channels whose stream keys these are, for the caller's transaction: one statement
   * for a batch of hooks. Unknown (or rotated-out) keys are simply not in the answer.
   */
  async lockByStreamKeys(
    tx: Pipeline,
    keys: string[],
  ): Promise<
    LockedChannels<{ byKey: Map<string, ChannelEntity>; bySessionKey: Map<string, ChannelEntity> }>
  > {
    const byKey = new Map<string, ChannelEntity>();
    const bySessionKey = new Map<string, ChannelEntity>();
    const wanted = [...new Set(keys)].filter((key) => key !== '' && key.length <= 64);
    if (wanted.length === 0) return { channels: { byKey, bySessionKey }, now: undefined };
    const rows = BY_STREAM_KEY(
      await tx.query(SQL.lockByStreamKeys(this.sql, wanted.length), [...wanted, ...wanted]),
    );
    for (const row of rows) {
      const channel = this.toEntity(row);
      byKey.set(row.streamKey, channel);
      if (row.sessionStreamKey !== null) bySessionKey.set(row.sessionStreamKey, channel);
    }
    return { channels: { byKey, bySessionKey }, now: this.dbNow(rows) };
  }

  /**
   * Writes the transitions of a batch in one UPDATE, each channel's row changed only while it is
   * still in the state its transitions left from (it is locked: anything else is a fault).
   */
  async saveTransitions(tx: Pipeline, transitions: SavedTransition[]): Promise<void> {
    if (transitions.length === 0) return;
    const values: SqlValue[] = [];
    const column = (name: string, valueOf: (transition: SavedTransition) => SqlValue) =>
      `${name} = CASE id ${transitions
        .map((transition) => {
          values.push(transition.channel.id, valueOf(transition));
          return 'WHEN ? THEN ?';
        })
        .join(' ')} END`;
    const time = (date: Date | null) => (date === null ? null : this.sql.time(date));
    // undefined keeps the column as it is (the transition did not read it); null clears it.
    const keptUnlessSet = (
      name: string,
      valueOf: (transition: SavedTransition) => SqlValue | undefined,
    ) =>
      `${name} = CASE id ${transitions
        .map((transition) => {
          const value = valueOf(transition);
          values.push(transition.channel.id);
          if (value === undefined) return `WHEN ? THEN ${name}`;
          values.push(value);
          return 'WHEN ? THEN ?';
        })
        .join(' ')} END`;
    const set = [
      column('status', (t) => t.channel.status),
      column('session_id', (t) => t.channel.sessionId),
      column('live_at', (t) => time(t.channel.liveAt)),
      column('stopped_at', (t) => time(t.channel.stoppedAt)),
      column('ended_at', (t) => time(t.channel.endedAt)),
      column('end_due_at', (t) => time(t.channel.endDueAt)),
      column('updated_at', (t) => time(t.channel.updatedAt)),
      // Set when a session goes live; kept by every other transition.
      keptUnlessSet('session_stream_key', (t) => t.channel.sessionStreamKey ?? undefined),
      keptUnlessSet('last_seen_at', (t) =>
        t.channel.lastSeenAt ? time(t.channel.lastSeenAt) : undefined,
      ),
      keptUnlessSet('session_media_server', (t) => t.channel.sessionMediaServer),
      keptUnlessSet('heartbeat_ms', (t) => t.channel.heartbeatMs),
      keptUnlessSet('event_sequence', (t) => t.channel.eventSequence),
      keptUnlessSet('stopped_stale', (t) =>
        t.channel.stoppedStale === undefined || t.channel.stoppedStale === null
          ? t.channel.stoppedStale
          : Number(t.channel.stoppedStale),
      ),
    ].join(', ');
    const ids = transitions.map((transition) => transition.channel.id);
    const guard = transitions.flatMap((transition) => [transition.channel.id, transition.from]);
    const changed = this.sql.changed(
      await tx.query(SQL.saveTransitions(this.sql, set, ids.length), [...values, ...ids, ...guard]),
    );
    if (changed !== transitions.length) {
      throw new Error(`${transitions.length - changed} channel(s) changed under their lock`);
    }
  }

  /**
   * Stopped channels whose reconnect window has run out by the database's clock (or by `asOf`),
   * oldest due first, locked; rows another instance holds are skipped (MySQL), so several can
   * scan at once.
   */
  async lockDueStopped(tx: Pipeline, limit: number, asOf?: Date): Promise<LockedChannels> {
    const [due, values] = this.cutOff(asOf, 0);
    const rows = LIFECYCLE(await tx.query(SQL.lockDueStopped(this.sql, due), [...values, limit]));
    return { channels: rows.map((row) => this.toEntity(row)), now: this.dbNow(rows) };
  }

  /**
   * Notes that the media server of the live channel with this key (current, or the one its session
   * was published with) is still there, by the database's clock (or as of `heardAt`), and how long
   * since it was last heard (its update interval); answers whether there was one.
   */
  async touch(streamKey: string, heardAt?: Date): Promise<boolean> {
    const result: unknown = await this.dataSource.manager.query(
      SQL.touch(this.sql, heardAt !== undefined),
      [...(heardAt === undefined ? [] : [this.sql.time(heardAt)]), streamKey, streamKey],
    );
    return this.sql.changed(result) > 0;
  }

  /**
   * Live channels whose media server has not been heard from for `silentMs` by the database's
   * clock (or as of `asOf`), locked.
   */
  async lockStaleLive(
    tx: Pipeline,
    silentMs: number,
    limit: number,
    asOf?: Date,
  ): Promise<LockedChannels> {
    const [before, values] = this.cutOff(asOf, -silentMs);
    const rows = LIFECYCLE(await tx.query(SQL.lockStaleLive(this.sql, before), [...values, limit]));
    return { channels: rows.map((row) => this.toEntity(row)), now: this.dbNow(rows) };
  }

  /** The database's time `offsetMs` from now, or from `asOf` when given: an SQL term and its values. */
  private cutOff(asOf: Date | undefined, offsetMs: number): [string, SqlValue[]] {
    if (asOf !== undefined) return ['?', [this.sql.time(new Date(asOf.getTime() + offsetMs))]];
    return [this.sql.nowPlus, [this.sql.later(offsetMs)]];
  }

  private dbNow(rows: { dbNow: Date }[]): Date | undefined {
    return rows.length === 0 ? undefined : rows[0].dbNow;
  }

  async update(manager: EntityManager, id: string, changes: ChannelChanges): Promise<void> {
    await manager.update(ChannelEntity, { id }, changes);
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(ChannelEntity, { id });
  }

  private toEntity(row: ChannelRow): ChannelEntity {
    return Object.assign(new ChannelEntity(), {
      id: row.id,
      name: row.name,
      description: row.description,
      status: row.status,
      reconnectWindow: row.reconnectWindow,
      sessionId: row.sessionId,
      liveAt: row.liveAt,
      stoppedAt: row.stoppedAt,
      endedAt: row.endedAt,
      endDueAt: row.endDueAt,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      // Read only with the lifecycle's columns; undefined otherwise (a write then keeps them).
      ...('lastSeenAt' in row && {
        lastSeenAt: row.lastSeenAt,
        sessionMediaServer: row.sessionMediaServer,
        heartbeatMs: row.heartbeatMs,
        stoppedStale: row.stoppedStale,
        eventSequence: row.eventSequence,
      }),
    });
  }

  /** How many channels are in each status. */
  async countByStatus(): Promise<Record<ChannelStatus, number>> {
    const rows = STATUS_COUNTS(
      await this.reads.manager
        .createQueryBuilder(ChannelEntity, 'channel')
        .select('channel.status', 'status')
        .addSelect('COUNT(*)', 'count')
        .groupBy('channel.status')
        .getRawMany(),
    );
    const counts = Object.fromEntries(CHANNEL_STATUSES.map((status) => [status, 0])) as Record<
      ChannelStatus,
      number
    >;
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }
}
