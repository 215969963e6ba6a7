import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '../database/data-source.token.js';
import { DataSource } from 'typeorm';
import { deleteDeliveries } from '../database/delivery-rows.js';
import { Reads } from '../database/reads.js';
import { field, idRows, rowsOf } from '../database/rows.js';
import { Sql } from '../database/sql.js';
import { Transactions } from '../database/transactions.js';
import { DeliveryEntity, DeliveryStatus } from './delivery.entity.js';
import { HeadPromotion } from './head-promotion.js';

/** Upkeep's statements, by name (`db` writes what differs between the databases). */
const SQL = {
  /** Finished deliveries last changed before a time, oldest first, locked (SKIP LOCKED). */
  lockFinished: (db: Sql) =>
    'SELECT id FROM delivery' +
    ` WHERE status IN ('${DeliveryStatus.Succeeded}', '${DeliveryStatus.Failed}')` +
    ` AND updated_at < ? ORDER BY updated_at LIMIT ?${db.forUpdate(true)}`,
  referencedEvents: (db: Sql, count: number) =>
    `SELECT DISTINCT event_id AS eventId FROM delivery WHERE event_id IN (${db.list(count)})`,
  releaseHeld: (db: Sql) =>
    `UPDATE delivery SET next_attempt_at = ${db.now}` +
    ` WHERE status = '${DeliveryStatus.Pending}' AND next_attempt_at IS NULL` +
    " AND webhook_id IN (SELECT id FROM webhook WHERE state = 'active')",
};

const EVENT_IDS = rowsOf({ eventId: field.id });
const LINES = rowsOf({ webhookId: field.id, channelId: field.id });

/**
 * Upkeep of the delivery table: deleting finished deliveries past their retention (and telling
 * which outbox events a delivery still needs), repairing lines left without a head, and making
 * held deliveries of webhooks active again due.
 */
@Injectable()
export class DeliveryMaintenance {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reads: Reads,
    private readonly transactions: Transactions,
    private readonly promotion: HeadPromotion,
    private readonly sql: Sql,
  ) {}

  /**
   * Deletes up to `limit` finished deliveries last changed before `before`, with their attempts;
   * answers how many deliveries.
   */
  async purgeFinished(before: Date, limit: number): Promise<number> {
    return this.transactions.run(async (manager) => {
      const rows = idRows(
        await manager.query(SQL.lockFinished(this.sql), [this.sql.time(before), limit]),
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.id);
      await deleteDeliveries(manager, this.sql, ids);
      return ids.length;
    });
  }

  /** Which of these outbox events a delivery still sends (its log shows the body from there). */
  async referencedEvents(eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = EVENT_IDS(
      await this.reads.query(SQL.referencedEvents(this.sql, eventIds.length), eventIds),
    );
    return new Set(rows.map((row) => row.eventId));
  }

  /**
   * Safety net for lines whose head is gone without promoting the next (e.g. its webhook row was
   * locked away by a crash mid-transaction): finds the oldest waiting delivery of each line that
   * has no pending one and makes it the head. A line whose head is open is never stuck, though a
   * delivery sent again (redelivered, recovered) may wait in it older than that head.
   */
  async repairLines(limit = 100): Promise<number> {
    const stuck = LINES(
      await this.reads.manager
        .createQueryBuilder(DeliveryEntity, 'waiting')
        .select(['waiting.webhook_id AS webhookId', 'waiting.channel_id AS channelId'])
        .where('waiting.status = :waiting', { waiting: DeliveryStatus.Waiting })
        .andWhere((qb) => {
          const headOrBefore = qb
            .subQuery()
            .select('1')
            .from(DeliveryEntity, 'open')
            .where('open.channel_id = waiting.channel_id AND open.webhook_id = waiting.webhook_id')
            .andWhere('(open.status = :head OR (open.status = :behind AND open.id < waiting.id))', {
              head: DeliveryStatus.Pending,
              behind: DeliveryStatus.Waiting,
            })
            .getQuery();
          return `NOT EXISTS ${headOrBefore}`;
        })
        .limit(limit)
        .getRawMany(),
    );
    let repaired = 0;
    for (const line of stuck) {
      repaired += await this.transactions.pipeline(async (tx) => {
        const promoted = await this.promotion.promote(tx, [line]);
        await tx.commit();
        return promoted;
      });
    }
    return repaired;
  }

  /** Makes held deliveries of webhooks that are active again due now; answers how many. */
  async releaseHeld(): Promise<number> {
    const result: unknown = await this.dataSource.manager.query(SQL.releaseHeld(this.sql));
    return this.sql.changed(result);
  }
}
