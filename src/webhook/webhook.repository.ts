import { Injectable } from '@nestjs/common';
import { type EntityManager, In } from 'typeorm';
import {
  ALL_EVENTS,
  type EventSubscription,
  isChannelEventName,
} from '../common/channel-event-name.js';
import { deleteDeliveries } from '../database/delivery-rows.js';
import type { Deferred, Pipeline } from '../database/pipeline.js';
import { field, idRows, insertedId, rowsOf } from '../database/rows.js';
import { Sql } from '../database/sql.js';
import { Reads } from '../database/reads.js';
import { WebhookEntity, WebhookEventEntity } from './webhook.entity.js';
import { channelPattern, readStoredChannels } from './webhook-channels.js';
import { readStoredHeaders } from './webhook-headers.js';
import type { WebhookState } from './webhook-state.js';
import { WEBHOOK_SQL as SQL } from './webhook.sql.js';

/**
 * A webhook as the API shows it (no secrets: of its headers, only the names), with its events in
 * subscription order.
 */
export interface WebhookWithEvents {
  webhook: {
    /** The names of its own headers, as set. */
    headerNames: string[];
    /** The channels it is limited to; null: every channel. */
    channels: string[] | null;
  } & Pick<
    WebhookEntity,
    | 'id'
    | 'uri'
    | 'state'
    | 'rateLimit'
    | 'failingSince'
    | 'disabledReason'
    | 'createdAt'
    | 'updatedAt'
  >;
  events: EventSubscription[];
}

const WEBHOOK_ROWS = rowsOf({
  id: field.id,
  uri: field.text,
  state: field.textOf<WebhookState>(),
  rateLimit: field.orNull(field.int),
  headers: field.orNull(field.text),
  failingSince: field.orNull(field.time),
  disabledReason: field.orNull(field.text),
  channels: field.orNull(field.text),
  createdAt: field.time,
  updatedAt: field.time,
  event: field.orNull(field.textOf<EventSubscription>()),
});
type WebhookRow = ReturnType<typeof WEBHOOK_ROWS>[number];
const TOTAL = rowsOf({ total: field.int });
const VERSION = rowsOf({ version: field.int });
const SNAPSHOT_ROWS = rowsOf({
  id: field.id,
  uri: field.text,
  state: field.textOf<WebhookState>(),
  secret: field.text,
  previousSecret: field.orNull(field.text),
  previousSecretExpiresAt: field.orNull(field.time),
  failingSince: field.orNull(field.time),
  failingAlerted: field.flag,
  disabledReason: field.orNull(field.text),
  rateLimit: field.orNull(field.int),
  headers: field.orNull(field.text),
  channels: field.orNull(field.text),
});
const SUBSCRIPTIONS = rowsOf({
  webhookId: field.id,
  event: field.textOf<EventSubscription>(),
});

/** Every change that fan-out or sending reads moves the directory's version on. */
export const BUMP_VERSION = 'UPDATE webhook_state SET version = version + 1 WHERE id = 1';

export interface SnapshotWebhook {
  id: string;
  uri: string;
  state: WebhookState;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  failingSince: Date | null;
  /** Its failing run has been told of (webhook_failing). */
  failingAlerted: boolean;
  disabledReason: string | null;
  rateLimit: number | null;
  /** The stored JSON text (null: none). */
  headers: string | null;
  events: EventSubscription[];
  /** The channels it is limited to; null: every channel. */
  channels: string[] | null;
}

export interface WebhookSnapshot {
  version: number;
  /** Oldest first. */
  webhooks: SnapshotWebhook[];
}

export type WebhookChanges = Partial<
  Pick<
    WebhookEntity,
    | 'uri'
    | 'state'
    | 'secret'
    | 'previousSecret'
    | 'previousSecretExpiresAt'
    | 'failingSince'
    | 'disabledReason'
    | 'rateLimit'
    | 'headers'
    | 'channels'
    | 'updatedAt'
  >
>;

/**
 * All SQL of the webhook and webhook_event tables: the API's reads and writes, the fan-out's
 * subscriber query, send-time targets and the webhooks' delivery health. Methods that write take
 * the caller's transaction.
 */
@Injectable()
export class WebhookRepository {
  constructor(
    private readonly reads: Reads,
    private readonly sql: Sql,
  ) {}

  async insert(
    manager: EntityManager,
    row: {
      uri: string;
      secret: string;
      events: EventSubscription[];
      rateLimit?: number | null;
      /** JSON text; left out or null: none. */
      headers?: string | null;
      /** JSON text; left out or null: every channel. */
      channels?: string | null;
      now: Date;
    },
  ): Promise<string> {
    const inserted = await manager.insert(WebhookEntity, {
      uri: row.uri,
      secret: row.secret,
      rateLimit: row.rateLimit ?? null,
      headers: row.headers ?? null,
      channels: row.channels ?? null,
      state: 'active',
      createdAt: row.now,
      updatedAt: row.now,
    });
    const id = insertedId(inserted);
    await this.writeEvents(manager, id, row.events);
    await this.bumpVersion(manager);
    return id;
  }

  /** The webhooks with these ids, in the order asked, with their events in subscription order. */
  async findWithEvents(ids: string[]): Promise<WebhookWithEvents[]> {
    if (ids.length === 0) return [];
    const found = this.group(
      WEBHOOK_ROWS(await this.reads.query(SQL.withEvents(this.sql, ids.length), ids)),
    );
    const byId = new Map(found.map((entry) => [entry.webhook.id, entry]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /**
   * One page of webhooks, oldest first, and the count of all matches; with `events`, only
   * webhooks subscribed to one of them or to `all`; with `channel`, only webhooks that get that
   * channel's events (every channel's, or a list holding it).
   */
  async page(
    events: EventSubscription[] | undefined,
    channel: string | undefined,
    offset: number,
    limit: number,
  ): Promise<{ found: WebhookWithEvents[]; total: number }> {
    const filtered = events !== undefined && !events.includes(ALL_EVENTS);
    // a webhook on `all` gets every channel event, and no operational one it does not name
    const names = filtered
      ? [...events, ...(events.some((name) => isChannelEventName(name)) ? [ALL_EVENTS] : [])]
      : [];
    const byChannel = channel !== undefined;
    const where = [...names, ...(byChannel ? [channelPattern(channel)] : [])];
    const [count] = TOTAL(
      await this.reads.query(SQL.countPage(this.sql, names.length, byChannel), where),
    );
    const rows = WEBHOOK_ROWS(
      await this.reads.query(SQL.page(this.sql, names.length, byChannel), [
        ...where,
        limit,
        offset,
      ]),
    );
    return { found: this.group(rows), total: count.total };
  }

  /** Those of these channel ids that name no channel (in the caller's transaction). */
  async missingChannels(manager: EntityManager, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const found = new Set(
      idRows(await manager.query(SQL.existingChannels(this.sql, ids.length), ids)).map(
        (row) => row.id,
      ),
    );
    return ids.filter((id) => !found.has(id));
  }

  /**
   * Up to `limit` webhooks for an overview, those most likely to need attention first: inactive
   * ones, then those in a failing run, then the rest; each group oldest first.
   */
  async mostUrgent(limit: number): Promise<WebhookWithEvents[]> {
    const rows = idRows(await this.reads.query(SQL.mostUrgent, [limit]));
    return this.findWithEvents(rows.map((row) => row.id));
  }

  /** Locks the webhook row for the caller's transaction; false when there is none. */
  async lock(manager: EntityManager, id: string): Promise<boolean> {
    const found = await this.sql
      .lockRows(
        manager
          .createQueryBuilder(WebhookEntity, 'webhook')
          .select('webhook.id')
          .where('webhook.id = :id', { id }),
      )
      .getOne();
    return found !== null;
  }

  /** Locks the webhook row and answers its current secret; undefined when there is none. */
  async lockSecret(manager: EntityManager, id: string): Promise<string | undefined> {
    const found = await this.sql
      .lockRows(
        manager
          .createQueryBuilder(WebhookEntity, 'webhook')
          .select(['webhook.id', 'webhook.secret'])
          .where('webhook.id = :id', { id }),
      )
      .getOne();
    return found?.secret;
  }

  async update(manager: EntityManager, id: string, changes: WebhookChanges): Promise<void> {
    await manager.update(WebhookEntity, { id }, changes);
    await this.bumpVersion(manager);
  }

  /**
   * Erases every previous secret whose grace ended at or before `now`: a rotated-out secret is
   * not kept once it no longer signs. Signing already ignores it from its expiry on, so what
   * delivery holds does not change (no version bump). Answers how many were erased.
   */
  async erasePreviousSecrets(manager: EntityManager, now: Date): Promise<number> {
    const result: unknown = await manager.query(SQL.erasePreviousSecrets(this.sql), [
      this.sql.time(now),
    ]);
    return this.sql.changed(result);
  }

  async replaceEvents(
    manager: EntityManager,
    id: string,
    events: EventSubscription[],
  ): Promise<void> {
    await manager.delete(WebhookEventEntity, { webhookId: id });
    await this.writeEvents(manager, id, events);
    await this.bumpVersion(manager);
  }

  /**
   * Deletes up to `limit` of a webhook's deliveries, newest first, with their attempts; answers how
   * many deliveries. Deleting the webhook would take them all with it (the foreign keys cascade) in
   * one unbounded statement: its log goes first, a bounded chunk per transaction. Newest first, a
   * line loses its followers before its head, so what is left (if the work stops midway) is still
   * whole lines, each headed as before.
   */
  async deleteLogChunk(manager: EntityManager, id: string, limit: number): Promise<number> {
    const rows = idRows(await manager.query(SQL.lockLogChunk(this.sql), [id, limit]));
    if (rows.length === 0) return 0;
    const ids = rows.map((row) => row.id);
    await deleteDeliveries(manager, this.sql, ids);
    return ids.length;
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(WebhookEventEntity, { webhookId: id });
    await manager.delete(WebhookEntity, { id });
    await this.bumpVersion(manager);
  }

  /** Events of each webhook, in the order they were listed. */
  async eventsOf(manager: EntityManager, ids: string[]): Promise<Map<string, EventSubscription[]>> {
    const rows = await manager.find(WebhookEventEntity, {
      where: { webhookId: In(ids) },
      order: { webhookId: 'ASC', position: 'ASC' },
    });
    const events = new Map<string, EventSubscription[]>();
    for (const row of rows)
      events.set(row.webhookId, [...(events.get(row.webhookId) ?? []), row.event]);
    return events;
  }

  /**
   * The version of what fan-out and sending read of webhooks (subscriptions, uri, state, secrets,
   * headers):
   * every change that affects them bumps it in its own transaction, so a reader that sees the
   * version of a change sees the change. In a pipeline it is deferred: it goes with the
   * transaction's next statement, and is taken once that is sent.
   */
  version(): Promise<number>;
  version(tx: Pipeline): Deferred<number>;
  version(tx?: Pipeline): Promise<number> | Deferred<number> {
    const versionOf = (raw: unknown) => VERSION(raw)[0]?.version ?? 0;
    return tx
      ? tx.defer(SQL.version).map(versionOf)
      : this.reads.query(SQL.version).then(versionOf);
  }

  /** Everything delivery keeps of every webhook, tagged with the version read before it. */
  async snapshot(): Promise<WebhookSnapshot> {
    const version = await this.version();
    const rows = SNAPSHOT_ROWS(await this.reads.query(SQL.snapshot));
    const events = SUBSCRIPTIONS(await this.reads.query(SQL.subscriptions));
    const byWebhook = new Map<string, EventSubscription[]>();
    for (const { webhookId, event } of events) {
      byWebhook.set(webhookId, [...(byWebhook.get(webhookId) ?? []), event]);
    }
    return {
      version,
      webhooks: rows.map((row) => ({
        ...row,
        events: byWebhook.get(row.id) ?? [],
        channels: readStoredChannels(row.channels),
      })),
    };
  }

  /** Joined rows (a webhook with each of its events) as webhooks with their event lists. */
  private group(rows: WebhookRow[]): WebhookWithEvents[] {
    const found = new Map<string, WebhookWithEvents>();
    for (const row of rows) {
      const id = row.id;
      let entry = found.get(id);
      if (!entry) {
        entry = {
          webhook: {
            id,
            uri: row.uri,
            state: row.state,
            rateLimit: row.rateLimit,
            headerNames: Object.keys(readStoredHeaders(row.headers)),
            channels: readStoredChannels(row.channels),
            failingSince: row.failingSince,
            disabledReason: row.disabledReason,
            createdAt: row.createdAt,
            updatedAt: row.updatedAt,
          },
          events: [],
        };
        found.set(id, entry);
      }
      if (row.event !== null) entry.events.push(row.event);
    }
    return [...found.values()];
  }

  private async bumpVersion(manager: EntityManager): Promise<void> {
    await manager.query(BUMP_VERSION);
  }

  private async writeEvents(
    manager: EntityManager,
    webhookId: string,
    events: EventSubscription[],
  ): Promise<void> {
    await manager.insert(
      WebhookEventEntity,
      events.map((event, position) => ({ webhookId, event, position })),
    );
  }
}
