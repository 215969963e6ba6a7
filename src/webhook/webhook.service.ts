import { BadRequestException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import {
  ALL_EVENTS,
  CHANNEL_EVENT_NAMES,
  type ChannelEventName,
  type EventSubscription,
} from '../common/channel-event-name.js';
import { parseEventList } from '../common/event-list.js';
import { checkResourceId, notFound } from '../common/resource-id.js';
import { type Page, type PageQueryDto, toPage } from '../common/paging.dto.js';
import { checkHttpUrl } from '../common/validators.js';
import type { AppConfig } from '../config/app-config.js';
import { forUpdate } from '../database/locking.js';
import { Transactions } from '../database/transactions.js';
import { DestinationPolicy } from '../destination/destination-policy.js';
import type { CreatedWebhookDto, WebhookDto } from './dto/webhook-response.dto.js';
import { WebhookEntity, WebhookEventEntity } from './webhook.entity.js';
import { checkWebhookSecret, generateWebhookSecret } from './webhook-secret.js';

export interface CreateWebhookInput {
  uri: string;
  /** `"all"`, `"a,b"` or an array of names. */
  event: string | string[];
  secret?: string;
}

export interface UpdateWebhookInput {
  uri?: string;
  event?: string | string[];
  active?: boolean;
}

export interface ListWebhooksInput extends PageQueryDto {
  event?: string | string[];
}

/** What fan-out needs of a subscribed webhook. */
export interface WebhookTarget {
  id: string;
  uri: string;
}

/** What delivery needs to reach and sign for one webhook at send time. */
export interface DeliveryTarget {
  id: string;
  uri: string;
  active: boolean;
  failingSince: Date | null;
  secrets: SigningSecrets;
}

export interface SigningSecrets {
  current: string;
  /** The secret before the last rotation, while its grace period lasts. */
  previous?: string;
}

/**
 * Webhook subscriptions: the REST API's logic, and what other modules call to find, fan out to
 * and sign for webhooks. Entities never leave it; callers get WebhookDto views.
 */
@Injectable()
export class WebhookService {
  private readonly secretGraceMs: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly destinations: DestinationPolicy,
    config: ConfigService<{ app: AppConfig }, true>,
  ) {
    this.secretGraceMs = config.get('app', { infer: true }).webhookSecretGraceMs;
  }

  async create(input: CreateWebhookInput): Promise<CreatedWebhookDto> {
    const uri = this.checkUri(input.uri);
    const events = this.checkEvents(input.event);
    if (input.secret !== undefined) {
      const problem = checkWebhookSecret(input.secret);
      if (problem) throw new BadRequestException([problem]);
    }
    const secret = input.secret ?? generateWebhookSecret();
    const id = await this.transactions.run(async (manager) => {
      // Times come from the application in UTC, as for every other table (not the server's clock).
      const now = new Date();
      const inserted = await manager.insert(WebhookEntity, {
        uri,
        secret,
        active: true,
        createdAt: now,
        updatedAt: now,
      });
      const webhookId = String(inserted.identifiers[0].id);
      await this.writeEvents(manager, webhookId, events);
      return webhookId;
    });
    return { ...(await this.findOne(id)), secret };
  }

  async findOne(id: string): Promise<WebhookDto> {
    const [webhook] = await this.loadViews(this.dataSource.manager, [
      checkResourceId('webhook', id),
    ]);
    if (!webhook) throw notFound('webhook', id);
    return webhook;
  }

  /** Oldest first; `event` keeps webhooks subscribed to any of the names (or to `all`). */
  async list(query: ListWebhooksInput): Promise<Page<WebhookDto>> {
    const builder = this.dataSource.manager
      .createQueryBuilder(WebhookEntity, 'webhook')
      .select('webhook.id', 'id')
      .orderBy('webhook.id', 'ASC');
    if (query.event !== undefined) {
      const events = this.checkEvents(query.event);
      if (!events.includes(ALL_EVENTS)) {
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
    }
    const total = await builder.getCount();
    const rows = await builder
      .offset(query.page * query.length)
      .limit(query.length)
      .getRawMany<{ id: string | number }>();
    const views = await this.loadViews(
      this.dataSource.manager,
      rows.map((row) => String(row.id)),
    );
    return toPage(views, total, query);
  }

  async update(id: string, input: UpdateWebhookInput): Promise<WebhookDto> {
    const webhookId = checkResourceId('webhook', id);
    if (input.uri === undefined && input.event === undefined && input.active === undefined) {
      throw new BadRequestException(['body must set at least one of uri, event, active']);
    }
    const uri = input.uri === undefined ? undefined : this.checkUri(input.uri);
    const events = input.event === undefined ? undefined : this.checkEvents(input.event);
    await this.transactions.run(async (manager) => {
      await this.lockOrNotFound(manager, webhookId);
      const changes: Partial<WebhookEntity> = { updatedAt: new Date() };
      if (uri !== undefined) changes.uri = uri;
      if (input.active === true) {
        Object.assign(changes, { active: true, failingSince: null, disabledReason: null });
      } else if (input.active === false) {
        Object.assign(changes, { active: false, disabledReason: 'paused by PUT' });
      }
      await manager.update(WebhookEntity, { id: webhookId }, changes);
      if (events !== undefined) {
        await manager.delete(WebhookEventEntity, { webhookId });
        await this.writeEvents(manager, webhookId, events);
      }
    });
    return this.findOne(webhookId);
  }

  /**
   * Without events, deletes the webhook. With events, takes them off (a webhook on `all` keeps
   * every other known event) and deletes the webhook once none is left.
   */
  async remove(id: string, event?: string | string[]): Promise<void> {
    const webhookId = checkResourceId('webhook', id);
    const removing = event === undefined ? undefined : this.checkEvents(event);
    await this.transactions.run(async (manager) => {
      await this.lockOrNotFound(manager, webhookId);
      if (removing !== undefined && !removing.includes(ALL_EVENTS)) {
        const current = await this.eventsOf(manager, [webhookId]);
        const had = current.get(webhookId) ?? [];
        const expanded: EventSubscription[] = had.includes(ALL_EVENTS)
          ? [...CHANNEL_EVENT_NAMES]
          : had;
        const left = expanded.filter((name) => !removing.includes(name));
        if (left.length > 0) {
          if (left.length !== had.length || had.includes(ALL_EVENTS)) {
            await manager.delete(WebhookEventEntity, { webhookId });
            await this.writeEvents(manager, webhookId, left);
            await manager.update(WebhookEntity, { id: webhookId }, { updatedAt: new Date() });
          }
          return;
        }
      }
      await manager.delete(WebhookEventEntity, { webhookId });
      await manager.delete(WebhookEntity, { id: webhookId });
    });
  }

  /** A new secret; the old one keeps signing for WEBHOOK_SECRET_GRACE so receivers can switch. */
  async rotateSecret(id: string): Promise<string> {
    const webhookId = checkResourceId('webhook', id);
    const secret = generateWebhookSecret();
    await this.transactions.run(async (manager) => {
      const current = await forUpdate(
        manager
          .createQueryBuilder(WebhookEntity, 'webhook')
          .addSelect('webhook.secret')
          .where('webhook.id = :id', { id: webhookId }),
      ).getOne();
      if (!current) throw notFound('webhook', webhookId);
      await manager.update(
        WebhookEntity,
        { id: webhookId },
        {
          secret,
          previousSecret: current.secret,
          previousSecretExpiresAt: new Date(Date.now() + this.secretGraceMs),
          updatedAt: new Date(),
        },
      );
    });
    return secret;
  }

  /** Active webhooks subscribed to `event` or to `all`, oldest first (the fan-out's question). */
  async findActiveSubscribers(
    event: ChannelEventName,
    manager?: EntityManager,
  ): Promise<WebhookTarget[]> {
    const rows = await (manager ?? this.dataSource.manager)
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

  /** The secrets that sign a delivery now: the current one, and the previous one during its grace. */
  async signingSecrets(id: string, now = new Date()): Promise<SigningSecrets | undefined> {
    return (await this.deliveryTargets([checkResourceId('webhook', id)], now)).get(id)?.secrets;
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
          id: String(row.id),
          uri: row.uri,
          active: Boolean(row.active),
          failingSince: row.failingSince,
          secrets,
        };
        return [target.id, target];
      }),
    );
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

  private async loadViews(manager: EntityManager, ids: string[]): Promise<WebhookDto[]> {
    if (ids.length === 0) return [];
    const webhooks = await manager.find(WebhookEntity, { where: { id: In(ids) } });
    const events = await this.eventsOf(manager, ids);
    const byId = new Map(webhooks.map((webhook) => [String(webhook.id), webhook]));
    return ids
      .map((id) => byId.get(id))
      .filter((webhook): webhook is WebhookEntity => webhook !== undefined)
      .map((webhook) => toWebhookDto(webhook, events.get(String(webhook.id)) ?? []));
  }

  private async eventsOf(
    manager: EntityManager,
    ids: string[],
  ): Promise<Map<string, EventSubscription[]>> {
    const rows = await manager.find(WebhookEventEntity, {
      where: { webhookId: In(ids) },
      order: { webhookId: 'ASC', position: 'ASC' },
    });
    const events = new Map<string, EventSubscription[]>();
    for (const row of rows) {
      const key = String(row.webhookId);
      events.set(key, [...(events.get(key) ?? []), row.event]);
    }
    return events;
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

  private async lockOrNotFound(manager: EntityManager, webhookId: string): Promise<void> {
    const found = await forUpdate(
      manager
        .createQueryBuilder(WebhookEntity, 'webhook')
        .select('webhook.id')
        .where('webhook.id = :id', { id: webhookId }),
    ).getOne();
    if (!found) throw notFound('webhook', webhookId);
  }

  private checkUri(uri: unknown): string {
    const problem = checkHttpUrl(uri, 'uri');
    if (problem) throw new BadRequestException([problem]);
    const denial = this.destinations.denialOfUri(uri as string);
    if (denial) {
      throw new BadRequestException([`uri is not allowed: ${denial} (see DELIVERY_ALLOWED_CIDRS)`]);
    }
    return uri as string;
  }

  private checkEvents(event: unknown): EventSubscription[] {
    const result = parseEventList(event, 'event');
    if (!result.ok) throw new BadRequestException([result.message]);
    return result.events;
  }
}

export function toWebhookDto(webhook: WebhookEntity, events: EventSubscription[]): WebhookDto {
  return {
    id: String(webhook.id),
    uri: webhook.uri,
    event: events,
    active: Boolean(webhook.active),
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
  };
}
