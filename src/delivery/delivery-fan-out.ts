import { Injectable } from '@nestjs/common';
import type { ChannelEventName } from '../common/channel-event-name.js';
import { Deferred, type Pipeline } from '../database/pipeline.js';
import { field, rowsOf } from '../database/rows.js';
import { Sql, type SqlValue } from '../database/sql.js';
import type { WebhookTarget } from '../webhook/webhook.types.js';
import { DeliveryStatus, OPEN_SQL } from './delivery.entity.js';
import type { ClaimedDelivery, Lease } from './delivery.queue.js';
import { join, type Placement } from './lines.js';
import { newMessageId } from './signature.js';

/** An outbox event to fan out, with its stored body. */
export interface FanOutEvent {
  id: string;
  name: ChannelEventName;
  channelId: string;
  body: string;
  /** The W3C traceparent of the event's transition, with tracing on. */
  traceParent?: string | null;
}

/** One event and the webhooks (in id order) it goes to in this transaction. */
export interface FanOutItem {
  event: FanOutEvent;
  targets: WebhookTarget[];
}

/** A delivery fan-out writes, and its place in its line. */
interface NewRow extends Placement {
  item: FanOutItem;
  target: WebhookTarget;
  messageId: string;
}

const INSERT_CHUNK = 500;

/** Fan-out's statements, by name (`db` writes what differs between the databases). */
const SQL = {
  /** The open deliveries of these channels and webhooks in a range of ids, locked. */
  lockOpen: (db: Sql, channels: number) =>
    'SELECT id, channel_id AS channelId, webhook_id AS webhookId FROM delivery' +
    ` WHERE channel_id IN (${db.list(channels)})` +
    ` AND webhook_id BETWEEN ? AND ? AND status IN ${OPEN_SQL}${db.forUpdate()}`,
  markFollowed: (db: Sql, count: number) =>
    `UPDATE delivery SET has_followers = 1 WHERE id IN (${db.list(count)})`,
  /** Followed by one tuple per delivery. */
  insertInto:
    'INSERT INTO delivery (webhook_id, channel_id, event_id, event, message_id, body, status,' +
    ' attempts, max_attempts, has_followers, next_attempt_at, lease_owner, lease_until,' +
    ' created_at, updated_at) VALUES ',
  idsByMessage: (db: Sql, count: number) =>
    `SELECT id, message_id AS messageId FROM delivery WHERE message_id IN (${db.list(count)})`,
};

const OPEN_OF_LINES = rowsOf({ id: field.id, channelId: field.id, webhookId: field.id });
const BY_MESSAGE = rowsOf({ id: field.id, messageId: field.text });

/**
 * Fan-out's writes to the delivery table: one delivery per event and subscribed webhook, placed in
 * its line by the line rule (`join`), in a few multi-row statements per batch.
 */
@Injectable()
export class DeliveryFanOut {
  constructor(private readonly sql: Sql) {}

  /**
   * Deliveries for these events, in the caller's transaction (the one that locks the events), in
   * event order: a delivery is sendable at once when its line is empty and waits otherwise. Up to
   * `lease.count` sendable ones are inserted already leased to `lease.owner`, so the caller can
   * send them without a claim: they are answered once the transaction has sent its writes.
   */
  async write(
    tx: Pipeline,
    items: FanOutItem[],
    maxAttempts: number,
    lease: Lease & { count: number },
  ): Promise<{ inserted: number; sendable: number; leased: Deferred<ClaimedDelivery[]> }> {
    const targetIds = items.flatMap((item) => item.targets.map((target) => Number(target.id)));
    if (targetIds.length === 0) return { inserted: 0, sendable: 0, leased: Deferred.of([]) };
    const channels = [...new Set(items.map((item) => item.event.channelId))];
    // Locking the open deliveries of these lines orders this insert after a head that is being
    // finished (and promoting) right now: the new delivery is either seen by that promotion or
    // sees the head still open.
    const busyRows = OPEN_OF_LINES(
      await tx.query(SQL.lockOpen(this.sql, channels.length), [
        ...channels,
        Math.min(...targetIds),
        Math.max(...targetIds),
      ]),
    );
    // In event order, then webhook order: the order of the line.
    const targets = items.flatMap((item) => item.targets.map((target) => ({ item, target })));
    const { placements, followed } = join(
      targets.map(({ item, target }, index) => ({
        webhookId: String(target.id),
        channelId: item.event.channelId,
        order: BigInt(index),
      })),
      busyRows,
    );
    const now = this.sql.time(new Date());
    const rows: NewRow[] = targets.map(({ item, target }, index) => ({
      item,
      target,
      messageId: newMessageId(),
      ...placements[index],
    }));
    // The open deliveries now have a follower: finishing them must look for the next of the line.
    if (followed.length > 0) {
      tx.defer(SQL.markFollowed(this.sql, followed.length), followed);
    }
    const sendable = rows.filter((row) => row.head);
    const leasedRows = new Set(sendable.slice(0, lease.count));
    const chunks: Deferred<ClaimedDelivery[]>[] = [];
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      const values: SqlValue[] = [];
      const tuples = chunk.map((row) => {
        const isLeased = leasedRows.has(row);
        values.push(
          row.target.id,
          row.item.event.channelId,
          row.item.event.id,
          row.item.event.name,
          row.messageId,
          row.head ? DeliveryStatus.Pending : DeliveryStatus.Waiting,
          maxAttempts,
          row.hasFollowers ? 1 : 0,
        );
        if (isLeased) values.push(lease.owner, this.sql.later(lease.ms));
        values.push(now, now);
        const due = row.head ? this.sql.now : 'NULL';
        const leaseColumns = isLeased ? `?, ${this.sql.nowPlus}` : 'NULL, NULL';
        return `(?, ?, ?, ?, ?, NULL, ?, 0, ?, ?, ${due}, ${leaseColumns}, ?, ?)`;
      });
      const { ids } = await this.insertDeliveries(
        tx,
        SQL.insertInto + tuples.join(', '),
        values,
        chunk.map((row) => row.messageId),
      );
      chunks.push(
        ids.map((inserted) =>
          chunk.flatMap((row, index) =>
            leasedRows.has(row)
              ? [
                  {
                    id: inserted[index],
                    webhookId: row.target.id,
                    channelId: row.item.event.channelId,
                    event: row.item.event.name,
                    messageId: row.messageId,
                    body: row.item.event.body,
                    attempts: 0,
                    maxAttempts,
                    test: false,
                    traceParent: row.item.event.traceParent,
                  },
                ]
              : [],
          ),
        ),
      );
    }
    const leased = Deferred.all(chunks).map((all) => all.flat());
    return { inserted: rows.length, sendable: sendable.length, leased };
  }

  /**
   * A multi-row INSERT of deliveries; their ids in row order once sent. Where one statement's ids
   * cannot be told from its result, it is sent at once and the ids are looked up by message id.
   */
  private async insertDeliveries(
    tx: Pipeline,
    insert: string,
    values: SqlValue[],
    messageIds: string[],
  ): Promise<{ ids: Deferred<string[]> }> {
    if (this.sql.consecutiveIds) {
      const ids = tx
        .defer(this.sql.returningIds(insert, 'message_id'), values)
        .map((result) => this.sql.insertedIds(result, messageIds)!);
      return { ids };
    }
    await tx.query(insert, values);
    const rows = BY_MESSAGE(
      await tx.query(SQL.idsByMessage(this.sql, messageIds.length), messageIds),
    );
    const byMessage = new Map(rows.map((row) => [row.messageId, row.id]));
    return { ids: Deferred.of(messageIds.map((messageId) => byMessage.get(messageId)!)) };
  }
}
