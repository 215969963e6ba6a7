import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import {
  ALL_EVENTS,
  type ChannelEventName,
  type EventSubscription,
} from '../common/channel-event-name.js';
import { insertedId } from '../database/bigint.js';
import { forUpdate } from '../database/locking.js';
import { WebhookEntity, WebhookEventEntity } from './webhook.entity.js';
import type { DeliveryTarget, SigningSecrets, WebhookTarget } from './webhook.types.js';

export interface WebhookWithEvents {
  webhook: WebhookEntity;
  events: EventSubscription[];
}

export type WebhookChanges = Partial<
  Pick<
    WebhookEntity,
    | 'uri'
    | 'active'
    | 'secret'
    | 'previousSecret'
    | 'previousSecretExpiresAt'
    | 'failingSince'
    | 'disabledReason'
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
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(
    manager: EntityManager,
    row: { uri: string; secret: string; events: EventSubscription[]; now: Date },
  ): Promise<string> {
    const inserted = await manager.insert(WebhookEntity, {
      uri: row.uri,
      secret: row.secret,
      active: true,
      createdAt: row.now,
      updatedAt: row.now,
    });
    const id = insertedId(inserted);
    await this.writeEvents(manager, id, row.events);
    return id;
  }

  /** The webhooks with these ids, in the order asked, with their events in subscription order. */
  async findWithEvents(
    ids: string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<WebhookWithEvents[]> {
    if (ids.length === 0) return [];
    const webhooks = await manager.find(WebhookEntity, { where: { id: In(ids) } });
    const events = await this.eventsOf(manager, ids);
    const byId = new Map(webhooks.map((webhook) => [webhook.id, webhook]));
    return ids.flatMap((id) => {
      const webhook = byId.get(id);
      return webhook ? [{ webhook, events: events.get(id) ?? [] }] : [];
    });
  }

  /**
   * One page of webhook ids, oldest first, and the count of all matches; with `events`, only
   * webhooks subscribed to one of them or to `all`.
   */
  async page(
    events: EventSubscription[] | undefined,
    offset: number,
    limit: number,
  ): Promise<{ ids: string[]; total: number }> {
    const builder = this.dataSource.manager
      .createQueryBuilder(WebhookEntity, 'webhook')
      .select('webhook.id', 'id')
      .orderBy('webhook.id', 'ASC');
    if (events !== undefined && !events.includes(ALL_EVENTS)) {
      builder.where((qb) => {
        const sub = qb
          .subQuery()
          .select('subscription.webhook_id')
          .from(WebhookEventEntity, 'subscription')
          .where('subscription.event IN (:...events)')
          .getQuery();
        return `webhook.id IN ${sub}`;
      });
      builder.setParameter('events', [...events, ALL_EVENTS]);
    }
    const total = await builder.getCount();
    const rows = await builder.offset(offset).limit(limit).getRawMany<{ id: string | number }>();
    return { ids: rows.map((row) => String(row.id)), total };
  }

  /** Locks the webhook row for the caller's transaction; false when there is none. */
  async lock(manager: EntityManager, id: string): Promise<boolean> {
    const found = await forUpdate(
      manager
        .createQueryBuilder(WebhookEntity, 'webhook')
        .select('webhook.id')
        .where('webhook.id = :id', { id }),
    ).getOne();
    return found !== null;
  }

  /** Locks the webhook row and answers its current secret; undefined when there is none. */
  async lockSecret(manager: EntityManager, id: string): Promise<string | undefined> {
    const found = await forUpdate(
      manager
        .createQueryBuilder(WebhookEntity, 'webhook')
        .select(['webhook.id', 'webhook.secret'])
        .where('webhook.id = :id', { id }),
    ).getOne();
    return found?.secret;
  }

  async update(manager: EntityManager, id: string, changes: WebhookChanges): Promise<void> {
    await manager.update(WebhookEntity, { id }, changes);
  }

  async replaceEvents(
    manager: EntityManager,
    id: string,
    events: EventSubscription[],
  ): Promise<void> {
    await manager.delete(WebhookEventEntity, { webhookId: id });
    await this.writeEvents(manager, id, events);
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(WebhookEventEntity, { webhookId: id });
    await manager.delete(WebhookEntity, { id });
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

  /** Active webhooks subscribed to `event` or to `all`, oldest first (the fan-out's question). */
  async findActiveSubscribers(
    event: ChannelEventName,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<WebhookTarget[]> {
    const rows = await manager
      .createQueryBuilder(WebhookEntity, 'webhook')
      .innerJoin(WebhookEventEntity, 'subscription', 'subscription.webhook_id = webhook.id')
      .select(['webhook.id AS id', 'webhook.uri AS uri'])
      .where('subscription.event IN (:...events)', { events: [event, ALL_EVENTS] })
      .andWhere('webhook.active = :active', { active: true })
      .orderBy('webhook.id', 'ASC')
      .getRawMany<{ id: string | number; uri: string }>();
    const seen = new Set<string>();
    return rows
      .map((row) => ({ id: String(row.id), uri: row.uri }))
      .filter((row) => !seen.has(row.id) && Boolean(seen.add(row.id)));
  }

  /** Send-time facts for many webhooks at once (the worker asks per claimed batch). */
  async deliveryTargets(ids: string[], now = new Date()): Promise<Map<string, DeliveryTarget>> {
    if (ids.length === 0) return new Map();
    const rows = await this.dataSource.manager
      .createQueryBuilder(WebhookEntity, 'webhook')
      .addSelect(['webhook.secret', 'webhook.previousSecret'])
      .where('webhook.id IN (:...ids)', { ids })
      .getMany();
    return new Map(
      rows.map((row) => {
        const previousValid =
          row.previousSecret !== null &&
          row.previousSecretExpiresAt !== null &&
          row.previousSecretExpiresAt.getTime() > now.getTime();
        const secrets: SigningSecrets = previousValid
          ? { current: row.secret, previous: row.previousSecret! }
          : { current: row.secret };
        const target: DeliveryTarget = {
          id: row.id,
          uri: row.uri,
          active: Boolean(row.active),
          failingSince: row.failingSince,
          secrets,
        };
        return [target.id, target];
      }),
    );
  }

  /** The secrets that sign a delivery now: the current one, and the previous one during its grace. */
  async signingSecrets(id: string, now = new Date()): Promise<SigningSecrets | undefined> {
    return (await this.deliveryTargets([id], now)).get(id)?.secrets;
  }

  /**
   * Records a failed delivery against the webhook's health, inside the caller's transaction:
   * the failing run starts now if it had not, and a run longer than `disableAfterMs` makes the
   * webhook inactive. Answers whether it was just made inactive.
   */
  async recordFailure(
    manager: EntityManager,
    id: string,
    now: Date,
    disableAfterMs: number,
  ): Promise<boolean> {
    await manager
      .createQueryBuilder()
      .update(WebhookEntity)
      .set({ failingSince: () => 'COALESCE(failing_since, :now)', updatedAt: () => 'updated_at' })
      .where('id = :id', { id, now })
      .execute();
    const disabled = await manager
      .createQueryBuilder()
      .update(WebhookEntity)
      .set({
        active: false,
        disabledReason: `failing continuously for ${Math.round(disableAfterMs / 3_600_000)}h`,
        updatedAt: now,
      })
      .where('id = :id AND active = :active AND failing_since <= :threshold', {
        id,
        active: true,
        threshold: new Date(now.getTime() - disableAfterMs),
      })
      .execute();
    return (disabled.affected ?? 0) > 0;
  }

  /** A delivery succeeded: the failing run is over. */
  async recordSuccess(manager: EntityManager, id: string): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(WebhookEntity)
      .set({ failingSince: null, updatedAt: () => 'updated_at' })
      .where('id = :id AND failing_since IS NOT NULL', { id })
      .execute();
  }

  /** Makes a webhook inactive (a receiver answered 410 Gone); PUT {active: true} brings it back. */
  async deactivate(manager: EntityManager, id: string, reason: string): Promise<void> {
    await manager.update(
      WebhookEntity,
      { id },
      { active: false, disabledReason: reason.slice(0, 255), updatedAt: new Date() },
    );
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
