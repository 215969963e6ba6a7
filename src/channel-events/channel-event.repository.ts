import { Injectable } from '@nestjs/common';
import { IsNull, LessThan } from 'typeorm';
import type { ChannelEventName } from '../common/channel-event-name.js';
import { Deferred, type Pipeline } from '../database/pipeline.js';
import { field, idRows, insertedId, rowsOf } from '../database/rows.js';
import { Sql, type SqlValue } from '../database/sql.js';
import { Reads } from '../database/reads.js';
import { Transactions } from '../database/transactions.js';
import { ChannelEventEntity } from './channel-event.entity.js';

export interface NewChannelEvent {
  name: ChannelEventName;
  channelId: string;
  sessionId: string | null;
  eventTime: number;
  /** Its place among the channel's events: 1 for the first. */
  sequence: number;
  /** The exact JSON body every callback of this event sends. */
  body: string;
  createdAt: Date;
  /** The W3C traceparent of the transition that recorded it, with tracing on. */
  traceParent?: string | null;
}

/** An event's stored body, and the trace its deliveries join. */
export interface EventBody {
  body: string;
  traceParent: string | null;
}

/** An event still to fan out, with its body and how far its fan-out has got. */
export interface UndispatchedEvent {
  id: string;
  channelId: string;
  name: ChannelEventName;
  body: string;
  cursor: string | null;
  traceParent: string | null;
}

/** An event as a channel's timeline shows it. */
export interface TimelineEvent {
  id: string;
  name: ChannelEventName;
  eventTime: number;
  sessionId: string | null;
  createdAt: Date;
}

/** Event bodies kept in memory, newest last (a few MB at most). */
const RECENT_BODIES = 2_000;

const UNDISPATCHED = rowsOf({
  id: field.id,
  channelId: field.id,
  name: field.textOf<ChannelEventName>(),
  body: field.text,
  fanoutCursor: field.orNull(field.id),
  traceParent: field.orNull(field.text),
});
const TIMELINE = rowsOf({
  id: field.id,
  name: field.textOf<ChannelEventName>(),
  eventTime: field.int,
  sessionId: field.orNull(field.text),
  createdAt: field.time,
});
const BODIES = rowsOf({
  id: field.id,
  body: field.text,
  traceParent: field.orNull(field.text),
});

/** The outbox's statements, by name (`db` writes what differs between the databases). */
const SQL = {
  insert: (count: number) =>
    'INSERT INTO channel_event' +
    ' (name, channel_id, session_id, event_time, sequence, body, created_at, trace_parent)' +
    ` VALUES ${Array.from({ length: count }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
  /** A batch's rows are told apart by channel, name and time (equal ones are alike in all three). */
  rowKey: "channel_id || ' ' || name || ' ' || event_time",
  lockUndispatched: (db: Sql, channels: number) =>
    'SELECT id, channel_id AS channelId, name, body, fanout_cursor AS fanoutCursor,' +
    ' trace_parent AS traceParent' +
    ` FROM channel_event WHERE channel_id IN (${db.list(channels)})` +
    ` AND dispatched_at IS NULL ORDER BY id LIMIT ?${db.forUpdate()}`,
  markDispatched: (db: Sql, count: number) =>
    `UPDATE channel_event SET dispatched_at = ? WHERE id IN (${db.list(count)})`,
  saveProgress: 'UPDATE channel_event SET fanout_cursor = ? WHERE id = ?',
  ofChannel: (before: boolean) =>
    'SELECT id, name, event_time AS eventTime, session_id AS sessionId, created_at AS createdAt' +
    ` FROM channel_event WHERE channel_id = ?${before ? ' AND id < ?' : ''}` +
    ' ORDER BY id DESC LIMIT ?',
  dispatchedBefore:
    'SELECT id FROM channel_event WHERE dispatched_at IS NOT NULL AND dispatched_at < ?' +
    ' AND id > ? ORDER BY id LIMIT ?',
  deleteDispatched: (db: Sql, count: number) =>
    db.counting(
      `DELETE FROM channel_event WHERE id IN (${db.list(count)}) AND dispatched_at IS NOT NULL`,
    ),
  bodies: (db: Sql, count: number) =>
    'SELECT id, body, trace_parent AS traceParent' +
    ` FROM channel_event WHERE id IN (${db.list(count)})`,
};

/** The outbox table: written by channel transitions, read and marked by the fan-out. */
@Injectable()
export class ChannelEventRepository {
  private readonly recentBodies = new Map<string, EventBody>();

  constructor(
    private readonly reads: Reads,
    private readonly sql: Sql,
    private readonly transactions: Transactions,
  ) {}

  /**
   * Records events in the caller's transaction (the one that changes their channels), in order.
   * Deferred: the ids are there once the transaction has sent it.
   */
  append(tx: Pipeline, events: NewChannelEvent[]): Deferred<string[]> {
    if (events.length === 0) return Deferred.of([]);
    const row = (event: NewChannelEvent): SqlValue[] => [
      event.name,
      event.channelId,
      event.sessionId,
      event.eventTime,
      event.sequence,
      event.body,
      this.sql.time(event.createdAt),
      event.traceParent ?? null,
    ];
    const insert = (count: number) => this.sql.returningIds(SQL.insert(count), SQL.rowKey);
    if (this.sql.consecutiveIds) {
      const keys = events.map((event) => `${event.channelId} ${event.name} ${event.eventTime}`);
      return tx
        .defer(insert(events.length), events.flatMap(row))
        .map((result) => this.sql.insertedIds(result, keys)!);
    }
    // Ids of one statement are not consecutive here: one insert each, in order.
    return Deferred.all(
      events.map((event) => tx.defer(insert(1), row(event)).map((result) => insertedId(result))),
    );
  }

  /**
   * These channels' events not yet fanned out, oldest first, locked for the caller's transaction:
   * fan-outs of one channel take turns, in event order.
   */
  async lockUndispatched(
    tx: Pipeline,
    channelIds: string[],
    limit: number,
  ): Promise<UndispatchedEvent[]> {
    if (channelIds.length === 0) return [];
    const rows = UNDISPATCHED(
      await tx.query(SQL.lockUndispatched(this.sql, channelIds.length), [...channelIds, limit]),
    );
    return rows.map(({ fanoutCursor, ...event }) => ({ ...event, cursor: fanoutCursor }));
  }

  /** Marks events fanned out in full, in the caller's transaction (deferred). */
  markDispatched(tx: Pipeline, ids: string[], at: Date): void {
    if (ids.length === 0) return;
    tx.defer(SQL.markDispatched(this.sql, ids.length), [this.sql.time(at), ...ids]);
  }

  /** Records how far an event's fan-out got (the last webhook id done), deferred. */
  saveProgress(tx: Pipeline, id: string, cursor: string): void {
    tx.defer(SQL.saveProgress, [cursor, id]);
  }

  /** A channel's events, newest first, those with an id below `before` if given (by the channel index). */
  async ofChannel(
    channelId: string,
    before: string | undefined,
    limit: number,
  ): Promise<TimelineEvent[]> {
    return TIMELINE(
      await this.reads.query(
        SQL.ofChannel(before !== undefined),
        before === undefined ? [channelId, limit] : [channelId, before, limit],
      ),
    );
  }

  /** Channels with events recorded before `before` and still not fanned out, oldest first. */
  async undispatchedChannels(before: Date, limit: number): Promise<string[]> {
    const rows = await this.reads.manager.find(ChannelEventEntity, {
      select: { channelId: true, id: true },
      where: { dispatchedAt: IsNull(), createdAt: LessThan(before) },
      order: { id: 'ASC' },
      take: limit,
    });
    return [...new Set(rows.map((row) => row.channelId))];
  }

  /**
   * Up to `limit` events fanned out before `before`, by id from `after` on: the candidates for
   * pruning (whoever prunes checks that no delivery still sends one's body).
   */
  async dispatchedBefore(before: Date, after: string, limit: number): Promise<string[]> {
    const rows = idRows(
      await this.reads.query(SQL.dispatchedBefore, [this.sql.time(before), after, limit]),
    );
    return rows.map((row) => row.id);
  }

  /**
   * Deletes these events if they have been fanned out; answers how many went. Only fanned-out
   * events: one still to fan out (or half way) would lose its deliveries.
   */
  async deleteDispatched(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    for (const id of ids) this.recentBodies.delete(id);
    const result: unknown = await this.transactions.run((manager) =>
      manager.query(SQL.deleteDispatched(this.sql, ids.length), ids),
    );
    return this.sql.changed(result);
  }

  /** The stored callback bodies of these events, by id (they never change: recent ones are kept). */
  async bodies(ids: string[]): Promise<Map<string, EventBody>> {
    const found = new Map<string, EventBody>();
    const missing: string[] = [];
    for (const id of ids) {
      const body = this.recentBodies.get(id);
      if (body === undefined) missing.push(id);
      else found.set(id, body);
    }
    if (missing.length === 0) return found;
    const rows = BODIES(await this.reads.query(SQL.bodies(this.sql, missing.length), missing));
    for (const row of rows) {
      const stored = { body: row.body, traceParent: row.traceParent };
      found.set(row.id, stored);
      this.remember(row.id, stored);
    }
    return found;
  }

  /** Keeps a body for later claims of the same event (its other webhooks' deliveries, retries). */
  remember(id: string, body: EventBody): void {
    this.recentBodies.delete(id);
    this.recentBodies.set(id, body);
    if (this.recentBodies.size > RECENT_BODIES) {
      this.recentBodies.delete(this.recentBodies.keys().next().value!);
    }
  }
}
