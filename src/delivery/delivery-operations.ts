import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { conflict, notFound } from '../common/errors.js';
import { field, idRows, insertedId, rowsOf } from '../database/rows.js';
import { Sql, type SqlValue } from '../database/sql.js';
import { Transactions } from '../database/transactions.js';
import { DeliveryEntity, DeliveryStatus, OPEN_SQL } from './delivery.entity.js';
import { join } from './lines.js';
import { newMessageId } from './signature.js';

/** Deliveries recovered per transaction (and ids bound per statement): short locks, few values. */
export const RECOVER_CHUNK = 1_000;

/** The operations' statements, by name (`db` writes what differs between the databases). */
const SQL = {
  /** Each is followed by `(…ids)`. */
  markFollowedIn: 'UPDATE delivery SET has_followers = 1 WHERE id IN',
  requeueIn:
    `UPDATE delivery SET status = '${DeliveryStatus.Waiting}', next_attempt_at = NULL,` +
    ' max_attempts = attempts + 1, has_followers = 0, updated_at = ? WHERE id IN',
  makeHeadsIn: (db: Sql) =>
    `UPDATE delivery SET status = '${DeliveryStatus.Pending}', next_attempt_at = ${db.now} WHERE id IN`,
  /** A webhook's failed deliveries (but tests) created since a time (and before one), locked. */
  lockFailed: (db: Sql, until: boolean) =>
    'SELECT id, channel_id AS channelId FROM delivery' +
    ` WHERE webhook_id = ? AND id > ? AND status = '${DeliveryStatus.Failed}'` +
    ` AND test = 0 AND created_at >= ?${until ? ' AND created_at < ?' : ''}` +
    ` ORDER BY id LIMIT ${RECOVER_CHUNK}${db.forUpdate()}`,
  /** The heads and the last open deliveries of a webhook's lines in these channels, locked. */
  lockOpenEnds: (db: Sql, channels: number) =>
    'SELECT id, channel_id AS channelId, has_followers AS hasFollowers FROM delivery' +
    ` WHERE webhook_id = ? AND status IN ${OPEN_SQL} AND channel_id IN (${db.list(channels)})` +
    ` AND (status = '${DeliveryStatus.Pending}' OR has_followers = 0)${db.forUpdate()}`,
  lockOpenOfLine: (db: Sql) =>
    `SELECT id FROM delivery WHERE channel_id = ? AND webhook_id = ? AND status IN ${OPEN_SQL}` +
    db.forUpdate(),
};

const FAILED = rowsOf({ id: field.id, channelId: field.id });
const OPEN_ENDS = rowsOf({ id: field.id, channelId: field.id, hasFollowers: field.flag });

/**
 * The operators' actions on the delivery table: a test ping, sending a delivery again, and
 * recovering a webhook's failed deliveries. Deliveries sent again rejoin their lines by the line
 * rule (`join`): they never overtake a head already open.
 */
@Injectable()
export class DeliveryOperations {
  constructor(
    private readonly transactions: Transactions,
    private readonly sql: Sql,
  ) {}

  /** A test (a ping, or an event's example): one attempt, no line, its own body. */
  async enqueueTest(webhookId: string, event: string, body: string): Promise<string> {
    const now = new Date();
    return this.transactions.run(async (manager) => {
      const inserted = await manager.insert(DeliveryEntity, {
        webhookId,
        channelId: null,
        eventId: null,
        event,
        test: true,
        messageId: newMessageId(),
        body,
        status: DeliveryStatus.Pending,
        attempts: 0,
        maxAttempts: 1,
        nextAttemptAt: () => this.sql.now,
        createdAt: now,
        updatedAt: now,
      });
      return insertedId(inserted);
    });
  }

  /**
   * Sends the same message again (same webhook-id, one more attempt). A finished delivery rejoins
   * its line: as its head, due now, when nothing of the line is open; otherwise waiting, so the
   * head in flight or retrying is never overtaken, and promoted oldest first like any waiting
   * one (after that head, before the line's later deliveries). A delivery still waiting behind
   * an earlier one of its line cannot jump it (a conflict); the head itself is made due now.
   */
  async redeliver(webhookId: string, deliveryId: string): Promise<DeliveryEntity> {
    return this.transactions.run(async (manager) => {
      const delivery = await this.sql
        .lockRows(
          manager
            .createQueryBuilder(DeliveryEntity, 'delivery')
            .where('delivery.id = :id AND delivery.webhook_id = :webhookId', {
              id: deliveryId,
              webhookId,
            }),
        )
        .getOne();
      if (!delivery) throw notFound('delivery', deliveryId);
      if (delivery.status === DeliveryStatus.Waiting) {
        throw conflict('delivery is waiting for an earlier delivery of its channel to finish');
      }
      const now = new Date();
      const changes: Partial<DeliveryEntity> = { status: DeliveryStatus.Pending, updatedAt: now };
      if (delivery.status !== DeliveryStatus.Pending) {
        changes.maxAttempts = delivery.attempts + 1;
        const open = await this.openOfLine(manager, webhookId, delivery.channelId);
        if (open.length > 0) {
          // Whatever is open on the line now has a follower: finishing it looks for the next.
          const line = { webhookId, channelId: delivery.channelId! };
          const {
            placements: [placement],
            followed,
          } = join(
            [{ ...line, order: BigInt(delivery.id) }],
            open.map((id) => ({ ...line, id, order: BigInt(id) })),
          );
          await manager.query(
            `${SQL.markFollowedIn} (${this.sql.list(followed.length)})`,
            followed,
          );
          changes.status = DeliveryStatus.Waiting;
          changes.hasFollowers = placement.hasFollowers;
        }
      }
      const waits = changes.status === DeliveryStatus.Waiting;
      await manager.update(
        DeliveryEntity,
        { id: delivery.id },
        { ...changes, nextAttemptAt: waits ? null : () => this.sql.now },
      );
      return Object.assign(delivery, changes, { nextAttemptAt: waits ? null : now });
    });
  }

  /**
   * Queues a webhook's failed deliveries created in [since, until) again, one more attempt each,
   * same message: per channel in their original order, behind anything still open on that line
   * (the first of a line with nothing open is due now, the rest wait their turn). Answers how many.
   *
   * Works through them in id order, RECOVER_CHUNK at a time, each chunk a short transaction of its
   * own: a chunk's deliveries queue behind what earlier chunks made open, so the lines come out as
   * one transaction would have made them. Stopped midway (the process died), the deliveries not yet
   * reached are still failed: the same call again queues the rest.
   */
  async recover(
    webhookId: string,
    since: Date,
    until: Date | undefined,
    onProgress?: (recovered: number) => void,
  ): Promise<number> {
    let total = 0;
    let after = '0';
    for (;;) {
      const chunk = await this.transactions.run((manager) =>
        this.recoverChunk(manager, webhookId, since, until, after),
      );
      total += chunk.recovered;
      if (chunk.recovered > 0) onProgress?.(total);
      if (chunk.last === undefined) return total;
      after = chunk.last;
    }
  }

  /** One chunk of `recover`: the next failed deliveries after id `after`. */
  private async recoverChunk(
    manager: EntityManager,
    webhookId: string,
    since: Date,
    until: Date | undefined,
    after: string,
  ): Promise<{ recovered: number; last?: string }> {
    const failed = FAILED(
      await manager.query(SQL.lockFailed(this.sql, until !== undefined), [
        webhookId,
        after,
        this.sql.time(since),
        ...(until ? [this.sql.time(until)] : []),
      ]),
    );
    if (failed.length === 0) return { recovered: 0 };
    const channels = [...new Set(failed.map((row) => row.channelId))];
    // A busy line has one head (pending), and one open delivery without followers (its last):
    // those are all this reads. Locked, so a head finishing now promotes after this commit and
    // sees the recovered deliveries behind it. Earlier chunks' deliveries are among them.
    const open = OPEN_ENDS(
      await manager.query(SQL.lockOpenEnds(this.sql, channels.length), [webhookId, ...channels]),
    );
    const recovered = failed.map((row) => ({ ...row, webhookId, order: BigInt(row.id) }));
    // Whatever is open on those lines now has followers: the line moves on to them. An open
    // delivery newer than a recovered one is its follower: the recovered one goes first.
    const { placements, followed } = join(
      recovered,
      open.map((row) => ({ ...row, webhookId, order: BigInt(row.id) })),
    );
    const heads = recovered.filter((_, index) => placements[index].head).map((row) => row.id);
    followed.push(
      ...recovered.filter((_, index) => placements[index].hasFollowers).map((row) => row.id),
    );
    const ids = failed.map((row) => row.id);
    await this.updateEach(manager, SQL.requeueIn, [this.sql.time(new Date())], ids);
    await this.updateEach(manager, SQL.markFollowedIn, [], followed);
    await this.updateEach(manager, SQL.makeHeadsIn(this.sql), [], heads);
    return { recovered: failed.length, last: ids[ids.length - 1] };
  }

  /**
   * `update` (ending in `WHERE id IN`) for every id, RECOVER_CHUNK ids per statement: never more
   * bound values than a database takes.
   */
  private async updateEach(
    manager: EntityManager,
    update: string,
    values: SqlValue[],
    ids: string[],
  ): Promise<void> {
    for (let start = 0; start < ids.length; start += RECOVER_CHUNK) {
      const slice = ids.slice(start, start + RECOVER_CHUNK);
      await manager.query(`${update} (${this.sql.list(slice.length)})`, [...values, ...slice]);
    }
  }

  /**
   * The open deliveries of a line (none for a test ping, which has no line), locked as fan-out
   * and promotion lock them, so a head being finished right now is either seen open here or has
   * already promoted the next.
   */
  private async openOfLine(
    manager: EntityManager,
    webhookId: string,
    channelId: string | null,
  ): Promise<string[]> {
    if (channelId === null) return [];
    const rows = idRows(await manager.query(SQL.lockOpenOfLine(this.sql), [channelId, webhookId]));
    return rows.map((row) => row.id);
  }
}
