import { Injectable } from '@nestjs/common';
import { ChannelEventRepository } from '../channel-events/channel-event.repository.js';
import { Reads } from '../database/reads.js';
import { field, rowsOf } from '../database/rows.js';
import { Sql } from '../database/sql.js';
import {
  DeliveryAttemptEntity,
  DeliveryEntity,
  type DeliveryStatus,
} from '../delivery/delivery.entity.js';

/** Which of a webhook's deliveries a page shows; every field left out matches all. */
export interface DeliveryFilter {
  statuses?: readonly DeliveryStatus[];
  event?: string;
  channelId?: string;
  messageId?: string;
  /** created_at in [since, until). */
  since?: Date;
  until?: Date;
  /** Only ids below this one (the cursor). */
  before?: string;
}

/** One delivery of an event, as a channel's timeline lists it. */
export interface EventDelivery {
  id: string;
  eventId: string;
  webhookId: string;
  status: DeliveryStatus;
}

/** The log's hand-written statements, by name (`db` writes what differs between the databases). */
const SQL = {
  /** The deliveries of `count` events, each event's first n (bound after the ids) by webhook. */
  ofEvents: (db: Sql, count: number) =>
    'SELECT id, eventId, webhookId, status FROM (SELECT id, event_id AS eventId,' +
    ' webhook_id AS webhookId, status,' +
    ' ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY webhook_id, id) AS position' +
    ` FROM delivery WHERE event_id IN (${db.list(count)})) ranked` +
    ' WHERE position <= ? ORDER BY eventId, webhookId, id',
};

const EVENT_DELIVERIES = rowsOf({
  id: field.id,
  eventId: field.id,
  webhookId: field.id,
  status: field.textOf<DeliveryStatus>(),
});

/**
 * The console's reads of the delivery log. A reader of the engine's tables (`delivery`,
 * `delivery_attempt`), never a writer: the engine's DeliveryQueue owns them, writes every row and
 * keeps the line rule; this class only pages and looks up what it wrote, on committed data
 * (through Reads), by the indexes the engine keeps for them.
 */
@Injectable()
export class DeliveryLogRepository {
  constructor(
    private readonly reads: Reads,
    private readonly sql: Sql,
    private readonly events: ChannelEventRepository,
  ) {}

  /**
   * A webhook's deliveries matching `filter`, newest first, and the count of all that match it
   * (`before` aside). Read by the (webhook_id, id) index, or by the line index for a channel or
   * the message index for a message id.
   */
  async page(
    webhookId: string,
    filter: DeliveryFilter,
    offset: number,
    limit: number,
  ): Promise<[DeliveryEntity[], number]> {
    const query = this.reads.manager
      .createQueryBuilder(DeliveryEntity, 'd')
      .where('d.webhook_id = :webhookId', { webhookId });
    if (filter.statuses)
      query.andWhere('d.status IN (:...statuses)', { statuses: filter.statuses });
    if (filter.event) query.andWhere('d.event = :event', { event: filter.event });
    if (filter.channelId)
      query.andWhere('d.channel_id = :channelId', { channelId: filter.channelId });
    if (filter.messageId)
      query.andWhere('d.message_id = :messageId', { messageId: filter.messageId });
    if (filter.since)
      query.andWhere('d.created_at >= :since', { since: this.sql.time(filter.since) });
    if (filter.until)
      query.andWhere('d.created_at < :until', { until: this.sql.time(filter.until) });
    const total = query.clone().getCount();
    if (filter.before) query.andWhere('d.id < :before', { before: filter.before });
    const rows = query.orderBy('d.id', 'DESC').offset(offset).limit(limit).getMany();
    return Promise.all([rows, total]);
  }

  /**
   * The deliveries of these events (by the event index), each event's first `perEvent` by
   * webhook id: id, webhook and stored status.
   */
  async ofEvents(eventIds: string[], perEvent: number): Promise<EventDelivery[]> {
    if (eventIds.length === 0) return [];
    return EVENT_DELIVERIES(
      await this.reads.query(SQL.ofEvents(this.sql, eventIds.length), [...eventIds, perEvent]),
    );
  }

  /** One delivery of a webhook; null when the webhook has no delivery of that id. */
  find(webhookId: string, deliveryId: string): Promise<DeliveryEntity | null> {
    return this.reads.manager.findOneBy(DeliveryEntity, { id: deliveryId, webhookId });
  }

  /** Every attempt of a delivery, oldest first. */
  attemptsOf(deliveryId: string): Promise<DeliveryAttemptEntity[]> {
    return this.reads.manager.find(DeliveryAttemptEntity, {
      where: { deliveryId },
      order: { id: 'ASC' },
    });
  }

  /** The body a delivery sends: its own (a ping) or its event's (from the outbox's owner). */
  async bodyOf(delivery: DeliveryEntity): Promise<string | null> {
    if (delivery.body !== null || delivery.eventId === null) return delivery.body;
    return (await this.events.bodies([delivery.eventId])).get(delivery.eventId)?.body ?? null;
  }
}
