import { Injectable } from '@nestjs/common';
import { Reads } from '../database/reads.js';
import { Sql } from '../database/sql.js';
import type { DeliveryStatus } from '../delivery/delivery.entity.js';

/** One delivery of an event, as a channel's timeline lists it. */
export interface EventDelivery {
  id: string;
  eventId: string;
  webhookId: string;
  status: DeliveryStatus;
}

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
  ) {}

  /**
   * The deliveries of these events (by the event index), each event's first `perEvent` by
   * webhook id: id, webhook and stored status.
   */
  async ofEvents(eventIds: string[], perEvent: number): Promise<EventDelivery[]> {
    if (eventIds.length === 0) return [];
    const rows = await this.reads.query<
      {
        id: string | number;
        eventId: string | number;
        webhookId: string | number;
        status: DeliveryStatus;
      }[]
    >(
      'SELECT id, eventId, webhookId, status FROM (SELECT id, event_id AS eventId,' +
        ' webhook_id AS webhookId, status,' +
        ' ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY webhook_id, id) AS position' +
        ` FROM delivery WHERE event_id IN (${this.sql.list(eventIds.length)})) ranked` +
        ' WHERE position <= ? ORDER BY eventId, webhookId, id',
      [...eventIds, perEvent],
    );
    return rows.map((row) => ({
      id: String(row.id),
      eventId: String(row.eventId),
      webhookId: String(row.webhookId),
      status: row.status,
    }));
  }
}
