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
   * Records an attempt and its outcome, in the caller's transaction. Only the lease holder may:
   * if the lease was lost (it ran out and another instance took the work), the attempt is still
   * logged but the delivery is left to its new owner. Answers whether the line moved on.
   */
  async record(
    manager: EntityManager,
    completion: Completion,
    owner: string,
  ): Promise<{ recorded: boolean; promoted: boolean }> {
    const { delivery, result, decision } = completion;
    await manager.insert(DeliveryAttemptEntity, {
      deliveryId: delivery.id,
      at: result.at,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      error: result.error?.slice(0, ERROR_LIMIT) ?? null,
      responseBody: result.responseBody,
    });
    const now = new Date();
    const final = decision.kind !== 'retry';
    const updated = await manager
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
    if (updated.affected !== 1) return { recorded: false, promoted: false };
    const promoted =
      final && delivery.channelId !== null
        ? await this.promoteNext(manager, delivery.webhookId, delivery.channelId, now)
        : false;
    return { recorded: true, promoted };
  }

  /**
   * Makes the oldest waiting delivery of a line its head, unless the line already has one.
   * Fan-out locks the same rows, so a delivery it adds as waiting is never left behind.
   */
  async promoteNext(
    manager: EntityManager,
    webhookId: string,
    channelId: string,
    now: Date,
  ): Promise<boolean> {
    const open = await forUpdate(
      manager
        .createQueryBuilder(DeliveryEntity, 'delivery')
        .select(['delivery.id', 'delivery.status'])
        .where('delivery.channel_id = :channelId AND delivery.webhook_id = :webhookId', {
          channelId,
          webhookId,
        })
        .andWhere('delivery.status IN (:...open)', { open: ['pending', 'waiting'] })
        .orderBy('delivery.id', 'ASC'),
    ).getMany();
    if (open.length === 0 || open.some((row) => row.status === 'pending')) return false;
    await manager.update(
      DeliveryEntity,
      { id: open[0].id, status: 'waiting' },
      { status: 'pending', nextAttemptAt: now, updatedAt: now },
    );
    return true;
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
      const promoted = await this.transactions.run((manager) =>
        this.promoteNext(manager, String(line.webhookId), String(line.channelId), new Date()),
      );
      if (promoted) repaired++;
    }
    return repaired;
  }
}
