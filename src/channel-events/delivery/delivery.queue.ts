import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import { forUpdate } from '../../database/locking.js';
import { Transactions } from '../../database/transactions.js';
import { ChannelEventEntity } from '../channel-event.entity.js';
import { DeliveryAttemptEntity, DeliveryEntity } from './delivery.entity.js';
import type { AttemptResult } from './delivery.sender.js';
import type { Decision } from './retry-policy.js';

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
}

export interface Completion {
  delivery: ClaimedDelivery;
  result: AttemptResult;
  decision: Decision;
}

const ERROR_LIMIT = 1024;

/** Raw datetimes come back as text from SQLite ("YYYY-MM-DD HH:MM:SS.SSS", UTC). */
function parseStoredTime(text: string): Date {
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

/**
 * The delivery queue in the database, behind the worker's claim/record interface: claiming with
 * leases (SKIP LOCKED on MySQL), recording attempts, and moving each (webhook, channel) line on.
 * Swapping the queue for another store means swapping this class.
 */
@Injectable()
export class DeliveryQueue {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
  ) {}

  /**
   * Claims up to `limit` due deliveries for `owner` until `leaseMs` from now. Leases of a crashed
   * instance run out and the work is claimed again (at least once, with the same webhook-id).
   */
  async claim(
    limit: number,
    owner: string,
    leaseMs: number,
    now = new Date(),
  ): Promise<ClaimedDelivery[]> {
    return this.transactions.run(async (manager) => {
      const due = await forUpdate(
        manager
          .createQueryBuilder(DeliveryEntity, 'delivery')
          .select('delivery.id')
          .where('delivery.status = :status', { status: 'pending' })
          .andWhere('delivery.next_attempt_at <= :now', { now })
          .andWhere('(delivery.lease_until IS NULL OR delivery.lease_until < :now)')
          .orderBy('delivery.next_attempt_at', 'ASC')
          .limit(limit),
        { skipLocked: true },
      ).getMany();
      if (due.length === 0) return [];
      const ids = due.map((row) => String(row.id));
      await manager.update(
        DeliveryEntity,
        { id: In(ids) },
        { leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs) },
      );
      const rows = await manager
        .createQueryBuilder(DeliveryEntity, 'delivery')
        .leftJoin(ChannelEventEntity, 'event', 'event.id = delivery.event_id')
        .select([
          'delivery.id AS id',
          'delivery.webhook_id AS webhookId',
          'delivery.channel_id AS channelId',
          'delivery.event AS event',
          'delivery.message_id AS messageId',
          'delivery.body AS ownBody',
          'event.body AS eventBody',
          'delivery.attempts AS attempts',
          'delivery.max_attempts AS maxAttempts',
        ])
        .where('delivery.id IN (:...ids)', { ids })
        .orderBy('delivery.next_attempt_at', 'ASC')
        .getRawMany<{
          id: string | number;
          webhookId: string | number;
          channelId: string | number | null;
          event: string;
          messageId: string;
          ownBody: string | null;
          eventBody: string | null;
          attempts: number | string;
          maxAttempts: number | string;
        }>();
      return rows.map((row) => ({
        id: String(row.id),
        webhookId: String(row.webhookId),
        channelId: row.channelId === null ? null : String(row.channelId),
        event: row.event,
        messageId: row.messageId,
        body: row.ownBody ?? row.eventBody ?? '',
        attempts: Number(row.attempts),
        maxAttempts: Number(row.maxAttempts),
      }));
    });
  }

  /**
   * Records a batch of attempts and their outcomes in the caller's transaction: one insert for
   * the attempts, one update per kind of outcome, and the lines of finished deliveries moved on.
   * Only the lease holder's outcome counts: a delivery whose lease ran out and was taken by another
   * instance keeps its attempt in the log but is left to its new owner.
   */
  async recordBatch(
    manager: EntityManager,
    all: Completion[],
    owner: string,
  ): Promise<{ promoted: number }> {
    if (all.length === 0) return { promoted: 0 };
    // A webhook deleted while its attempt was in flight took its deliveries with it: nothing to
    // record for those. The rest are locked, so such a delete waits for this write.
    const existing = await forUpdate(
      manager
        .createQueryBuilder(DeliveryEntity, 'delivery')
        .select('delivery.id')
        .where('delivery.id IN (:...ids)', { ids: all.map(({ delivery }) => delivery.id) }),
    ).getMany();
    const present = new Set(existing.map((row) => String(row.id)));
    const completions = all.filter(({ delivery }) => present.has(delivery.id));
    if (completions.length === 0) return { promoted: 0 };
    await manager.insert(
      DeliveryAttemptEntity,
      completions.map(({ delivery, result }) => ({
        deliveryId: delivery.id,
        at: result.at,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        error: result.error?.slice(0, ERROR_LIMIT) ?? null,
        responseBody: result.responseBody,
      })),
    );
    const now = new Date();
    // Plain successes share one update; every other outcome carries its own values.
    const plain = completions.filter(
      ({ decision, result }) => decision.kind === 'succeeded' && result.statusCode === 200,
    );
    const others = completions.filter((completion) => !plain.includes(completion));
    if (plain.length > 0) {
      await manager
        .createQueryBuilder()
        .update(DeliveryEntity)
        .set({
          status: 'succeeded',
          attempts: () => 'attempts + 1',
          nextAttemptAt: null,
          leaseOwner: null,
          leaseUntil: null,
          lastStatusCode: 200,
          lastError: null,
          lastAttemptAt: plain[plain.length - 1].result.at,
          updatedAt: now,
        })
        .where('id IN (:...ids) AND lease_owner = :owner', {
          ids: plain.map(({ delivery }) => delivery.id),
          owner,
        })
        .execute();
    }
    for (const { delivery, result, decision } of others) {
      const final = decision.kind !== 'retry';
      await manager
        .createQueryBuilder()
        .update(DeliveryEntity)
        .set({
          status: decision.kind === 'succeeded' ? 'succeeded' : final ? 'failed' : 'pending',
          attempts: () => 'attempts + 1',
          nextAttemptAt: decision.kind === 'retry' ? decision.at : null,
          leaseOwner: null,
          leaseUntil: null,
          lastStatusCode: result.statusCode,
          lastError: result.error?.slice(0, ERROR_LIMIT) ?? null,
          lastAttemptAt: result.at,
          updatedAt: now,
        })
        .where('id = :id AND lease_owner = :owner', { id: delivery.id, owner })
        .execute();
    }
    const finishedLines = completions
      .filter(({ delivery, decision }) => decision.kind !== 'retry' && delivery.channelId !== null)
      .map(({ delivery }) => ({ webhookId: delivery.webhookId, channelId: delivery.channelId! }));
    return { promoted: await this.promoteHeads(manager, finishedLines, now) };
  }

  /**
   * Makes the oldest waiting delivery of each line its head, unless the line already has one.
   * The open rows are read with FOR UPDATE, as fan-out reads them, so a delivery that fan-out adds
   * as waiting is either seen here or sees this line's head still open: never left behind.
   */
  async promoteHeads(
    manager: EntityManager,
    lines: { webhookId: string; channelId: string }[],
    now: Date,
  ): Promise<number> {
    if (lines.length === 0) return 0;
    const wanted = new Set(lines.map((line) => `${line.webhookId}:${line.channelId}`));
    const open = await forUpdate(
      manager
        .createQueryBuilder(DeliveryEntity, 'delivery')
        .select(['delivery.id', 'delivery.status', 'delivery.webhookId', 'delivery.channelId'])
        .where('delivery.channel_id IN (:...channelIds)', {
          channelIds: [...new Set(lines.map((line) => line.channelId))],
        })
        .andWhere('delivery.webhook_id IN (:...webhookIds)', {
          webhookIds: [...new Set(lines.map((line) => line.webhookId))],
        })
        .andWhere('delivery.status IN (:...open)', { open: ['pending', 'waiting'] })
        .orderBy('delivery.id', 'ASC'),
    ).getMany();
    const byLine = new Map<string, DeliveryEntity[]>();
    for (const row of open) {
      const key = `${String(row.webhookId)}:${String(row.channelId)}`;
      if (wanted.has(key)) byLine.set(key, [...(byLine.get(key) ?? []), row]);
    }
    const heads = [...byLine.values()]
      .filter((rows) => !rows.some((row) => row.status === 'pending'))
      .map((rows) => String(rows[0].id));
    if (heads.length === 0) return 0;
    await manager.update(
      DeliveryEntity,
      { id: In(heads), status: 'waiting' },
      { status: 'pending', nextAttemptAt: now, updatedAt: now },
    );
    return heads.length;
  }

  /** The backlog: deliveries not yet done, those due now, and since when the oldest due one waits. */
  async backlog(
    now = new Date(),
  ): Promise<{ pending: number; due: number; oldestDueAt: Date | null }> {
    const manager = this.dataSource.manager;
    const pending = await manager.count(DeliveryEntity, {
      where: { status: In(['pending', 'waiting']) },
    });
    const due = await manager
      .createQueryBuilder(DeliveryEntity, 'delivery')
      .select('COUNT(*)', 'due')
      .addSelect('MIN(delivery.next_attempt_at)', 'oldest')
      .where('delivery.status = :status AND delivery.next_attempt_at <= :now', {
        status: 'pending',
        now,
      })
      .getRawOne<{ due: string | number; oldest: string | Date | null }>();
    const oldest = due?.oldest ?? null;
    return {
      pending,
      due: Number(due?.due ?? 0),
      oldestDueAt:
        oldest === null ? null : oldest instanceof Date ? oldest : parseStoredTime(oldest),
    };
  }

  /**
   * Safety net for lines whose head is gone without promoting the next (e.g. its webhook row was
   * locked away by a crash mid-transaction): finds waiting deliveries with nothing open before
   * them and makes them heads.
   */
  async repairLines(limit = 100): Promise<number> {
    const stuck = await this.dataSource.manager
      .createQueryBuilder(DeliveryEntity, 'waiting')
      .select(['waiting.webhook_id AS webhookId', 'waiting.channel_id AS channelId'])
      .where('waiting.status = :waiting', { waiting: 'waiting' })
      .andWhere((qb) => {
        const before = qb
          .subQuery()
          .select('1')
          .from(DeliveryEntity, 'open')
          .where('open.channel_id = waiting.channel_id AND open.webhook_id = waiting.webhook_id')
          .andWhere('open.id < waiting.id')
          .andWhere('open.status IN (:...open)', { open: ['pending', 'waiting'] })
          .getQuery();
        return `NOT EXISTS ${before}`;
      })
      .limit(limit)
      .getRawMany<{ webhookId: string | number; channelId: string | number }>();
    let repaired = 0;
    for (const line of stuck) {
      repaired += await this.transactions.run((manager) =>
        this.promoteHeads(
          manager,
          [{ webhookId: String(line.webhookId), channelId: String(line.channelId) }],
          new Date(),
        ),
      );
    }
    return repaired;
  }
}
