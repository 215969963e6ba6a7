import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import { ChannelEventRepository } from '../channel-events/channel-event.repository.js';
import type { ChannelEventName } from '../common/channel-event-name.js';
import { conflict, notFound } from '../common/errors.js';
import { insertedId } from '../database/bigint.js';
import { forUpdate } from '../database/locking.js';
import { Transactions } from '../database/transactions.js';
import type { WebhookTarget } from '../webhook/webhook.types.js';
import {
  DeliveryAttemptEntity,
  DeliveryEntity,
  DeliveryStatus,
  OPEN_STATUSES,
} from './delivery.entity.js';
import type { AttemptResult } from './delivery.sender.js';
import type { Decision } from './retry-policy.js';
import { newMessageId } from './signature.js';

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

/** An outbox event to fan out. */
export interface FanOutEvent {
  id: string;
  name: ChannelEventName;
  channelId: string;
}

interface Line {
  webhookId: string;
  channelId: string;
}

const ERROR_LIMIT = 1024;
const INSERT_CHUNK = 500;

/** Raw datetimes come back as text from SQLite ("YYYY-MM-DD HH:MM:SS.SSS", UTC). */
function parseStoredTime(text: string): Date {
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

/**
 * The delivery queue in the database, and the only writer of delivery rows: fan-out inserts,
 * claiming with leases (SKIP LOCKED on MySQL), recording attempts, redelivery and test pings.
 * It keeps the line rule: the deliveries of one (webhook, channel) form a line whose oldest open
 * delivery alone is sendable (`Pending`); the others wait (`Waiting`) and are promoted in order.
 * Swapping the queue for another store means swapping this class.
 */
@Injectable()
export class DeliveryQueue {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly events: ChannelEventRepository,
  ) {}

  /**
   * One delivery per target for `event`, in the caller's transaction (the one that locks the
   * event): sendable at once when its line is empty, waiting otherwise. Answers how many are
   * sendable now.
   */
  async fanOut(
    manager: EntityManager,
    event: FanOutEvent,
    targets: WebhookTarget[],
    maxAttempts: number,
    now: Date,
  ): Promise<number> {
    let sendable = 0;
    for (let start = 0; start < targets.length; start += INSERT_CHUNK) {
      const chunk = targets.slice(start, start + INSERT_CHUNK);
      // Locking the open deliveries of these lines orders this insert after a head that is being
      // finished (and promoting) right now: the new delivery is either seen by that promotion or
      // sees the head still open.
      const busyLines = await forUpdate(
        manager
          .createQueryBuilder(DeliveryEntity, 'delivery')
          .select(['delivery.id', 'delivery.webhookId'])
          .where('delivery.channel_id = :channelId', { channelId: event.channelId })
          .andWhere('delivery.webhook_id IN (:...webhookIds)', {
            webhookIds: chunk.map((target) => target.id),
          })
          .andWhere('delivery.status IN (:...open)', { open: OPEN_STATUSES }),
      ).getMany();
      const busy = new Set(busyLines.map((row) => row.webhookId));
      const rows = chunk.map((target) => ({
        webhookId: target.id,
        channelId: event.channelId,
        eventId: event.id,
        event: event.name,
        messageId: newMessageId(),
        body: null,
        status: busy.has(target.id) ? DeliveryStatus.Waiting : DeliveryStatus.Pending,
        attempts: 0,
        maxAttempts,
        nextAttemptAt: busy.has(target.id) ? null : now,
        createdAt: now,
        updatedAt: now,
      }));
      await manager.insert(DeliveryEntity, rows);
      sendable += rows.filter((row) => row.status === DeliveryStatus.Pending).length;
    }
    return sendable;
  }

  /** A test ping: one attempt, no line, its own body. */
  async enqueuePing(webhookId: string, body: string, now = new Date()): Promise<string> {
    return this.transactions.run(async (manager) => {
      const inserted = await manager.insert(DeliveryEntity, {
        webhookId,
        channelId: null,
        eventId: null,
        event: 'ping',
        messageId: newMessageId(),
        body,
        status: DeliveryStatus.Pending,
        attempts: 0,
        maxAttempts: 1,
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      });
      return insertedId(inserted);
    });
  }

  /**
   * Sends the same message again now (same webhook-id, one more attempt). A delivery still
   * waiting behind an earlier one of its line cannot jump it (a conflict).
   */
  async redeliver(webhookId: string, deliveryId: string): Promise<DeliveryEntity> {
    return this.transactions.run(async (manager) => {
      const delivery = await forUpdate(
        manager
          .createQueryBuilder(DeliveryEntity, 'delivery')
          .where('delivery.id = :id AND delivery.webhook_id = :webhookId', {
            id: deliveryId,
            webhookId,
          }),
      ).getOne();
      if (!delivery) throw notFound('delivery', deliveryId);
      if (delivery.status === DeliveryStatus.Waiting) {
        throw conflict('delivery is waiting for an earlier delivery of its channel to finish');
      }
      const now = new Date();
      const changes: Partial<DeliveryEntity> = {
        status: DeliveryStatus.Pending,
        nextAttemptAt: now,
        updatedAt: now,
      };
      if (delivery.status !== DeliveryStatus.Pending) changes.maxAttempts = delivery.attempts + 1;
      await manager.update(DeliveryEntity, { id: delivery.id }, changes);
      return Object.assign(delivery, changes);
    });
  }

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
    const claimed = await this.transactions.run(async (manager) => {
      const due = await forUpdate(
        manager
          .createQueryBuilder(DeliveryEntity, 'delivery')
          .select('delivery.id')
          .where('delivery.status = :status', { status: DeliveryStatus.Pending })
          .andWhere('delivery.next_attempt_at <= :now', { now })
          .andWhere('(delivery.lease_until IS NULL OR delivery.lease_until < :now)')
          .orderBy('delivery.next_attempt_at', 'ASC')
          .limit(limit),
        { skipLocked: true },
      ).getMany();
      if (due.length === 0) return [];
      const ids = due.map((row) => row.id);
      await manager.update(
        DeliveryEntity,
        { id: In(ids) },
        { leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs) },
      );
      return manager.find(DeliveryEntity, {
        select: {
          id: true,
          webhookId: true,
          channelId: true,
          eventId: true,
          event: true,
          messageId: true,
          body: true,
          attempts: true,
          maxAttempts: true,
        },
        where: { id: In(ids) },
        order: { nextAttemptAt: 'ASC' },
      });
    });
    const bodies = await this.events.bodies([
      ...new Set(claimed.flatMap((row) => (row.eventId === null ? [] : [row.eventId]))),
    ]);
    return claimed.map((row) => ({
      id: row.id,
      webhookId: row.webhookId,
      channelId: row.channelId,
      event: row.event,
      messageId: row.messageId,
      body: row.body ?? (row.eventId === null ? undefined : bodies.get(row.eventId)) ?? '',
      attempts: row.attempts,
      maxAttempts: row.maxAttempts,
    }));
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
    const present = new Set(existing.map((row) => row.id));
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
          status: DeliveryStatus.Succeeded,
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
      await manager
        .createQueryBuilder()
        .update(DeliveryEntity)
        .set({
          status: statusAfter(decision),
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

  /** The backlog: deliveries not yet done, those due now, and since when the oldest due one waits. */
  async backlog(
    now = new Date(),
  ): Promise<{ pending: number; due: number; oldestDueAt: Date | null }> {
    const manager = this.dataSource.manager;
    const pending = await manager.count(DeliveryEntity, {
      where: { status: In(OPEN_STATUSES) },
    });
    const due = await manager
      .createQueryBuilder(DeliveryEntity, 'delivery')
      .select('COUNT(*)', 'due')
      .addSelect('MIN(delivery.next_attempt_at)', 'oldest')
      .where('delivery.status = :status AND delivery.next_attempt_at <= :now', {
        status: DeliveryStatus.Pending,
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
      .where('waiting.status = :waiting', { waiting: DeliveryStatus.Waiting })
      .andWhere((qb) => {
        const before = qb
          .subQuery()
          .select('1')
          .from(DeliveryEntity, 'open')
          .where('open.channel_id = waiting.channel_id AND open.webhook_id = waiting.webhook_id')
          .andWhere('open.id < waiting.id')
          .andWhere('open.status IN (:...open)', { open: OPEN_STATUSES })
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

  /** A webhook's deliveries, newest first, optionally in some stored statuses; and their count. */
  page(
    webhookId: string,
    statuses: readonly DeliveryStatus[] | undefined,
    offset: number,
    limit: number,
  ): Promise<[DeliveryEntity[], number]> {
    return this.dataSource.manager.findAndCount(DeliveryEntity, {
      where: { webhookId, ...(statuses ? { status: In(statuses) } : {}) },
      order: { id: 'DESC' },
      skip: offset,
      take: limit,
    });
  }

  find(webhookId: string, deliveryId: string): Promise<DeliveryEntity | null> {
    return this.dataSource.manager.findOneBy(DeliveryEntity, { id: deliveryId, webhookId });
  }

  /** Every attempt of a delivery, oldest first. */
  attemptsOf(deliveryId: string): Promise<DeliveryAttemptEntity[]> {
    return this.dataSource.manager.find(DeliveryAttemptEntity, {
      where: { deliveryId },
      order: { id: 'ASC' },
    });
  }

  /** The body a delivery sends: its own (a ping) or its event's. */
  async bodyOf(delivery: DeliveryEntity): Promise<string | null> {
    if (delivery.body !== null || delivery.eventId === null) return delivery.body;
    return (await this.events.bodies([delivery.eventId])).get(delivery.eventId) ?? null;
  }

  /**
   * Makes the oldest waiting delivery of each line its head, unless the line already has one.
   * The open rows are read with FOR UPDATE, as fan-out reads them, so a delivery that fan-out adds
   * as waiting is either seen here or sees this line's head still open: never left behind.
   */
  private async promoteHeads(manager: EntityManager, lines: Line[], now: Date): Promise<number> {
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
        .andWhere('delivery.status IN (:...open)', { open: OPEN_STATUSES })
        .orderBy('delivery.id', 'ASC'),
    ).getMany();
    const byLine = new Map<string, DeliveryEntity[]>();
    for (const row of open) {
      const key = `${row.webhookId}:${row.channelId}`;
      if (wanted.has(key)) byLine.set(key, [...(byLine.get(key) ?? []), row]);
    }
    const heads = [...byLine.values()]
      .filter((rows) => !rows.some((row) => row.status === DeliveryStatus.Pending))
      .map((rows) => rows[0].id);
    if (heads.length === 0) return 0;
    await manager.update(
      DeliveryEntity,
      { id: In(heads), status: DeliveryStatus.Waiting },
      { status: DeliveryStatus.Pending, nextAttemptAt: now, updatedAt: now },
    );
    return heads.length;
  }
}

function statusAfter(decision: Decision): DeliveryStatus {
  if (decision.kind === 'succeeded') return DeliveryStatus.Succeeded;
  return decision.kind === 'retry' ? DeliveryStatus.Pending : DeliveryStatus.Failed;
}
