import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '../database/data-source.token.js';
import { DataSource, type EntityManager } from 'typeorm';
import { ChannelEventRepository } from '../channel-events/channel-event.repository.js';
import type { Pipeline } from '../database/pipeline.js';
import { field, rowsOf } from '../database/rows.js';
import { Sql, type SqlValue } from '../database/sql.js';
import { Reads } from '../database/reads.js';
import { Transactions } from '../database/transactions.js';
import { DeliveryEntity, DeliveryStatus } from './delivery.entity.js';
import type { AttemptResult } from './delivery.sender.js';
import { HeadPromotion } from './head-promotion.js';
import type { StatementLimits } from './outcome-batches.js';
import { ERROR_LIMIT, writeOutcomes } from './outcome-statements.js';
import type { Decision } from './retry-policy.js';

export { ERROR_LIMIT } from './outcome-statements.js';

/** A delivery claimed for one attempt, with the body to send. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  channelId: string | null;
  event: string;
  messageId: string;
  body: string;
  attempts: number;
  maxAttempts: number;
  /** A test (see DeliveryEntity.test). */
  test: boolean;
  /** The W3C traceparent of the event's transition: its attempts join that trace. */
  traceParent?: string | null;
}

export interface Completion {
  delivery: ClaimedDelivery;
  result: AttemptResult;
  decision: Decision;
}

/** Who holds claimed deliveries, and for how long. */
export interface Lease {
  owner: string;
  ms: number;
}

export interface DeliveryBacklog {
  /** Deliveries not yet done. */
  pending: number;
  /** Deliveries due now. */
  due: number;
  /** How long the oldest due delivery has waited, by the database's clock (0 when none). */
  oldestDueAgeMs: number;
}

const CLAIMED = rowsOf({
  id: field.id,
  webhookId: field.id,
  channelId: field.orNull(field.id),
  eventId: field.orNull(field.id),
  event: field.text,
  messageId: field.text,
  body: field.orNull(field.text),
  attempts: field.int,
  maxAttempts: field.int,
  test: field.flag,
});
const PACKET = rowsOf({ packet: field.int });
const PRESENT = rowsOf({ id: field.id, hasFollowers: field.flag });
const LOGGED = rowsOf({ deliveryId: field.id, at: field.time });
const PENDING = rowsOf({ pending: field.int });
const DUE = rowsOf({ due: field.int, age: field.orNull(field.int) });

/** SQLite's compiled-in limits (SQLITE_MAX_LENGTH, SQLITE_MAX_VARIABLE_NUMBER): no query reads them. */
const SQLITE_MAX_LENGTH = 1_000_000_000;
const SQLITE_MAX_VARIABLES = 32_766;
const CLAIM_COLUMNS =
  'id, webhook_id AS webhookId, channel_id AS channelId, event_id AS eventId, event,' +
  ' message_id AS messageId, body, attempts, max_attempts AS maxAttempts, test';
const OPEN = `('${DeliveryStatus.Pending}', '${DeliveryStatus.Waiting}')`;
const FRESH = { fresh: true } as const;
/**
 * Of every claim, first attempts may take this share ahead of the deliveries due longest: new
 * events do not wait behind a backlog of retries (a receiver that came back, a recover).
 */
const FRESH_SHARE = 0.5;

/** Which due deliveries a claim takes: first attempts only, or any, but for some already taken. */
type ClaimScope = { fresh: true } | { fresh: false; taken: readonly string[] };

/**
 * Due and unleased, but for `skipped` webhooks; first attempts only (IDX_delivery_fresh), or any
 * but `taken` ids (IDX_delivery_due). Bound after the statement's other values: skipped, taken.
 */
const dueUnless = (db: Sql, skipped: number, scope: ClaimScope) =>
  `status = '${DeliveryStatus.Pending}'${scope.fresh ? ' AND attempts = 0' : ''}` +
  ` AND next_attempt_at <= ${db.now} AND (lease_until IS NULL OR lease_until < ${db.now})` +
  (skipped > 0 ? ` AND webhook_id NOT IN (${db.list(skipped)})` : '') +
  (!scope.fresh && scope.taken.length > 0 ? ` AND id NOT IN (${db.list(scope.taken.length)})` : '');

/** The queue's statements, by name (`db` writes what differs between the databases). */
const SQL = {
  /** MySQL's claim, first half: the due rows, locked (SKIP LOCKED); then `lease`. */
  claimLocked: (db: Sql, skipped: number, scope: ClaimScope) =>
    `SELECT ${CLAIM_COLUMNS} FROM delivery WHERE ${dueUnless(db, skipped, scope)}` +
    ` ORDER BY next_attempt_at LIMIT ?${db.forUpdate(true)}`,
  lease: (db: Sql, count: number) =>
    `UPDATE delivery SET lease_owner = ?, lease_until = ${db.nowPlus}` +
    ` WHERE id IN (${db.list(count)})`,
  /** SQLite's claim in one statement. */
  claimReturning: (db: Sql, skipped: number, scope: ClaimScope) =>
    `UPDATE delivery SET lease_owner = ?, lease_until = ${db.nowPlus}` +
    ` WHERE id IN (SELECT id FROM delivery WHERE ${dueUnless(db, skipped, scope)}` +
    ` ORDER BY next_attempt_at LIMIT ?) RETURNING ${CLAIM_COLUMNS}`,
  release: (db: Sql, count: number) =>
    'UPDATE delivery SET lease_owner = NULL, lease_until = NULL' +
    ` WHERE id IN (${db.list(count)}) AND lease_owner = ?`,
  extendLeases: (db: Sql, count: number) =>
    `UPDATE delivery SET lease_until = ${db.nowPlus}` +
    ` WHERE id IN (${db.list(count)}) AND lease_owner = ?`,
  maxPacket: 'SELECT @@max_allowed_packet AS packet',
  hold: (db: Sql, count: number) =>
    'UPDATE delivery SET next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL' +
    ` WHERE id IN (${db.list(count)}) AND lease_owner = ?`,
  lockPresent: (db: Sql, count: number) =>
    'SELECT id, has_followers AS hasFollowers FROM delivery' +
    ` WHERE id IN (${db.list(count)})${db.forUpdate()}`,
  insertAttempts: (count: number) =>
    'INSERT INTO delivery_attempt (delivery_id, at, status_code, duration_ms, error,' +
    ' response_body, response_truncated, request_headers, response_headers)' +
    ` VALUES ${Array.from({ length: count }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
  loggedAttempts: (db: Sql, count: number) =>
    'SELECT delivery_id AS deliveryId, at FROM delivery_attempt' +
    ` WHERE delivery_id IN (${db.list(count)})`,
  countOpen: `SELECT COUNT(*) AS pending FROM delivery WHERE status IN ${OPEN}`,
  countDue: (db: Sql) =>
    `SELECT COUNT(*) AS due, ${db.ageMs('MIN(next_attempt_at)')} AS age FROM delivery` +
    ` WHERE status = '${DeliveryStatus.Pending}' AND next_attempt_at <= ${db.now}`,
};

/**
 * The delivery queue in the database: claiming with leases (SKIP LOCKED on MySQL) and recording
 * attempts. With DeliveryFanOut, DeliveryOperations (redelivery, recovery, test pings),
 * DeliveryMaintenance and HeadPromotion it owns the delivery table and is its only writer; the
 * console reads these tables through its own repository (delivery-log/), never writes them.
 * It writes the line rule (`lines.ts`): the deliveries of one (webhook, channel) form a line whose
 * head alone is sendable (`Pending`); the others wait (`Waiting`) and are promoted one at a time,
 * oldest first.
 * The hot path (fan-out, claim, record) is a few set-based statements per batch, written by hand;
 * leases and due times are set and compared by the database's clock. Swapping the queue for
 * another store means swapping this class.
 */
@Injectable()
export class DeliveryQueue {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reads: Reads,
    private readonly transactions: Transactions,
    private readonly events: ChannelEventRepository,
    private readonly sql: Sql,
    private readonly promotion: HeadPromotion,
  ) {}

  /**
   * Claims up to `limit` due deliveries in the caller's transaction, leased to `lease.owner` for
   * `lease.ms` (the lease is written with the commit). First attempts come first, up to
   * FRESH_SHARE of them, so new events do not wait behind a backlog of retries; the rest of the claim is
   * whatever has been due longest, first attempts or retries. Only the head of a line is due, so
   * the order within a line holds either way. Leases of a crashed instance run out and the work
   * is claimed again (at least once, with the same webhook-id).
   */
  async claim(
    tx: Pipeline,
    limit: number,
    lease: Lease,
    /** Webhooks this worker holds enough of already: none of theirs is claimed. */
    skipWebhooks: string[] = [],
  ): Promise<ClaimedDelivery[]> {
    const fresh = Math.ceil(limit * FRESH_SHARE);
    const first = await this.claimDue(tx, fresh, lease, skipWebhooks, FRESH);
    const rest =
      limit > first.length
        ? await this.claimDue(tx, limit - first.length, lease, skipWebhooks, {
            fresh: false,
            // Locked by this transaction, which SKIP LOCKED does not skip; SQLite leased them.
            taken: this.sql.mysql ? first.map((row) => row.id) : [],
          })
        : [];
    const rows = first.concat(rest);
    if (this.sql.mysql && rows.length > 0) {
      tx.defer(SQL.lease(this.sql, rows.length), [
        lease.owner,
        this.sql.later(lease.ms),
        ...rows.map((row) => row.id),
      ]);
    }
    const bodies = await this.events.bodies([
      ...new Set(rows.flatMap((row) => (row.eventId === null ? [] : [row.eventId]))),
    ]);
    return rows.map((row) => {
      const stored = row.eventId === null ? undefined : bodies.get(row.eventId);
      return {
        id: row.id,
        webhookId: row.webhookId,
        channelId: row.channelId,
        event: row.event,
        messageId: row.messageId,
        body: row.body ?? stored?.body ?? '',
        attempts: row.attempts,
        maxAttempts: row.maxAttempts,
        test: row.test,
        traceParent: stored?.traceParent ?? null,
      };
    });
  }

  /** Due rows in scope: locked on MySQL (`claim` leases them), leased already on SQLite. */
  private async claimDue(
    tx: Pipeline,
    limit: number,
    lease: Lease,
    skipWebhooks: string[],
    scope: ClaimScope,
  ): Promise<ReturnType<typeof CLAIMED>> {
    const excluded = [...skipWebhooks, ...(scope.fresh ? [] : scope.taken)];
    if (this.sql.mysql) {
      return CLAIMED(
        await tx.query(SQL.claimLocked(this.sql, skipWebhooks.length, scope), [...excluded, limit]),
      );
    }
    return CLAIMED(
      await tx.query(SQL.claimReturning(this.sql, skipWebhooks.length, scope), [
        lease.owner,
        this.sql.later(lease.ms),
        ...excluded,
        limit,
      ]),
    );
  }

  /** Gives leases of `owner` back unused (the deliveries were never sent), for anyone to claim. */
  async release(manager: EntityManager, ids: string[], owner: string): Promise<void> {
    await manager.query(SQL.release(this.sql, ids.length), [...ids, owner]);
  }

  /**
   * Extends the leases `owner` still holds on these deliveries to `ms` from the database's now,
   * in a statement of its own that leaves the attempt log alone: their outcomes wait to be
   * written, and no one may claim them meanwhile. A lease another instance took is left to it.
   */
  async extendLeases(
    manager: EntityManager,
    ids: string[],
    owner: string,
    ms: number,
  ): Promise<number> {
    if (ids.length === 0) return 0;
    const result: unknown = await manager.query(SQL.extendLeases(this.sql, ids.length), [
      this.sql.later(ms),
      ...ids,
      owner,
    ]);
    return this.sql.changed(result);
  }

  /** The server's limits on one statement: MySQL's max_allowed_packet, SQLite's compiled ones. */
  async statementLimits(): Promise<StatementLimits> {
    if (!this.sql.mysql) return { maxBytes: SQLITE_MAX_LENGTH, maxVariables: SQLITE_MAX_VARIABLES };
    const [row] = PACKET(await this.dataSource.manager.query(SQL.maxPacket));
    // mysql2 binds by writing values into the text: only the packet bounds them.
    return { maxBytes: row.packet, maxVariables: Number.MAX_SAFE_INTEGER };
  }

  /**
   * Holds leased deliveries of a paused webhook: unleased, with no due time, so no claim takes
   * them (nor their lines' followers) until `releaseHeld` finds their webhook active again.
   */
  async hold(manager: EntityManager, ids: string[], owner: string): Promise<void> {
    await manager.query(SQL.hold(this.sql, ids.length), [...ids, owner]);
  }

  /**
   * Records a batch of attempts and their outcomes in the caller's transaction: one insert for
   * the attempts, one update for the outcomes, and the lines of finished deliveries moved on.
   * Only the lease holder's outcome counts: a delivery whose lease ran out and was taken by another
   * instance keeps its attempt in the log but is left to its new owner. Answers the completions
   * whose delivery still exists (a deleted webhook takes its deliveries with it).
   *
   * `recheck`: an earlier try of this batch failed in a way that leaves unknown whether it was
   * committed (the connection was lost): attempts already in the log are not written again.
   */
  async record(
    tx: Pipeline,
    all: Completion[],
    owner: string,
    recheck = false,
  ): Promise<{ recorded: Completion[]; promoted: number }> {
    if (all.length === 0) return { recorded: [], promoted: 0 };
    // The rest are locked, so a delete of their webhook waits for this write.
    const existing = PRESENT(
      await tx.query(
        SQL.lockPresent(this.sql, all.length),
        all.map(({ delivery }) => delivery.id),
      ),
    );
    const present = new Set(existing.map((row) => row.id));
    const followed = new Set(existing.filter((row) => row.hasFollowers).map((row) => row.id));
    const completions = all.filter(({ delivery }) => present.has(delivery.id));
    if (completions.length === 0) return { recorded: [], promoted: 0 };
    const logged = recheck ? await this.loggedAttempts(tx, completions) : new Set<string>();
    const attempts: SqlValue[] = [];
    const unlogged = completions.filter(
      ({ delivery, result }) => !logged.has(`${delivery.id}@${result.at.getTime()}`),
    );
    for (const { delivery, result } of unlogged) {
      attempts.push(
        delivery.id,
        this.sql.time(result.at),
        result.statusCode,
        result.durationMs,
        result.error?.slice(0, ERROR_LIMIT) ?? null,
        result.responseBody,
        result.responseTruncated ? 1 : 0,
        result.requestHeaders,
        result.responseHeaders,
      );
    }
    if (unlogged.length > 0) {
      tx.defer(SQL.insertAttempts(unlogged.length), attempts);
    }
    writeOutcomes(tx, this.sql, completions, owner);
    const finishedLines = completions
      .filter(({ delivery, decision }) => decision.kind !== 'retry' && followed.has(delivery.id))
      .map(({ delivery }) => ({ webhookId: delivery.webhookId, channelId: delivery.channelId! }));
    return { recorded: completions, promoted: await this.promotion.promote(tx, finishedLines) };
  }

  /** Which of these attempts the log already holds, as `deliveryId@time`. */
  private async loggedAttempts(tx: Pipeline, completions: Completion[]): Promise<Set<string>> {
    const rows = LOGGED(
      await tx.query(
        SQL.loggedAttempts(this.sql, completions.length),
        completions.map(({ delivery }) => delivery.id),
      ),
    );
    return new Set(rows.map((row) => `${row.deliveryId}@${row.at.getTime()}`));
  }

  /** The backlog: deliveries not yet done, those due now, and how long the oldest due one waits. */
  async backlog(): Promise<DeliveryBacklog> {
    const [open] = PENDING(await this.reads.query(SQL.countOpen));
    const [due] = DUE(await this.reads.query(SQL.countDue(this.sql)));
    return {
      pending: open.pending,
      due: due.due,
      oldestDueAgeMs: due.age === null ? 0 : Math.max(0, Math.round(due.age)),
    };
  }

  /** One delivery of a webhook (the operator actions answer with it). */
  find(webhookId: string, deliveryId: string): Promise<DeliveryEntity | null> {
    return this.reads.manager.findOneBy(DeliveryEntity, { id: deliveryId, webhookId });
  }
}
