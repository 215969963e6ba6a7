import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql.js';
import type { Pipeline } from '../database/pipeline.js';
import { field, rowsOf } from '../database/rows.js';
import { DeliveryStatus, OPEN_SQL } from './delivery.entity.js';
import { type LineOf, nextHeads } from './lines.js';

const OPEN_OF_LINES = rowsOf({
  id: field.id,
  status: field.textOf<DeliveryStatus>(),
  webhookId: field.id,
  channelId: field.id,
});

/** Promotion's statements, by name (`db` writes what differs between the databases). */
const SQL = {
  /** The open deliveries of `lines` lines (each bound as channel, webhook), locked. */
  lockOpenOfLines: (db: Sql, lines: number) =>
    'SELECT id, status, webhook_id AS webhookId, channel_id AS channelId FROM delivery' +
    ` WHERE status IN ${OPEN_SQL} AND (${Array.from({ length: lines }, () => '(channel_id = ? AND webhook_id = ?)').join(' OR ')})` +
    ` ORDER BY id${db.forUpdate()}`,
  /** Waiting deliveries made heads, due now (bound: the time, then the ids). */
  makeHeads: (db: Sql, count: number) =>
    `UPDATE delivery SET status = '${DeliveryStatus.Pending}', next_attempt_at = ${db.now},` +
    ` updated_at = ? WHERE id IN (${db.list(count)}) AND status = '${DeliveryStatus.Waiting}'`,
};

/**
 * Moves lines on: when a head finishes (or a line is found without one), the next waiting
 * delivery of the line becomes its head, as `nextHeads` picks it.
 */
@Injectable()
export class HeadPromotion {
  constructor(private readonly sql: Sql) {}

  /**
   * Makes the oldest waiting delivery of each line its head, unless the line already has one.
   * The open rows are read with FOR UPDATE, as fan-out reads them, so a delivery that fan-out adds
   * as waiting is either seen here or sees this line's head still open: never left behind.
   */
  async promote(tx: Pipeline, lines: LineOf[]): Promise<number> {
    if (lines.length === 0) return 0;
    const open = OPEN_OF_LINES(
      await tx.query(
        SQL.lockOpenOfLines(this.sql, lines.length),
        lines.flatMap((line) => [line.channelId, line.webhookId]),
      ),
    );
    const heads = nextHeads(
      open.map(({ id, webhookId, channelId, status }) => ({
        id,
        webhookId,
        channelId,
        order: BigInt(id),
        head: status === DeliveryStatus.Pending,
      })),
    );
    if (heads.length === 0) return 0;
    tx.defer(SQL.makeHeads(this.sql, heads.length), [this.sql.time(new Date()), ...heads]);
    return heads.length;
  }
}
