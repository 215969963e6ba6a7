import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  ALL_EVENTS,
  CHANNEL_EVENT_NAMES,
  type EventSubscription,
} from '../common/channel-event-name.js';
import { invalid, notFound } from '../common/errors.js';
import { type Page, type PageQueryDto, toPage } from '../common/paging.dto.js';
import { progressLog } from '../common/progress.js';
import type { AppConfig } from '../config/app-config.js';
import { Transactions } from '../database/transactions.js';
import { DestinationPolicy } from '../destination/destination-policy.js';
import type { CreatedWebhookDto, WebhookDto } from './dto/webhook-response.dto.js';
import type { WebhookEntity } from './webhook.entity.js';
import { distinctChannels, storedChannels } from './webhook-channels.js';
import { maskedHeaders, storedHeaders, type WebhookHeaders } from './webhook-headers.js';
import { WebhookRepository, type WebhookWithEvents } from './webhook.repository.js';
import { isActive, putActive } from './webhook-state.js';
import { generateWebhookSecret } from './webhook-secret.js';
import { InjectAppConfig } from '../config/app-config.module.js';

/** A webhook's deliveries deleted per transaction when it is deleted. */
export const DELETE_CHUNK = 1_000;

export interface CreateWebhookInput {
  uri: string;
  event: EventSubscription[];
  secret?: string;
  rateLimit?: number | null;
  headers?: WebhookHeaders | null;
  /** The channels it is limited to; left out or null: every channel. */
  channels?: string[] | null;
}

export interface UpdateWebhookInput {
  uri?: string;
  event?: EventSubscription[];
  active?: boolean;
  /** null: no limit any more. */
  rateLimit?: number | null;
  /** Replaces the whole set; null or {}: none any more. */
  headers?: WebhookHeaders | null;
  /** Replaces the list; null: every channel. */
  channels?: string[] | null;
}

export interface ListWebhooksInput extends PageQueryDto {
  event?: EventSubscription[];
  /** Only webhooks that get this channel's events. */
  channel?: string;
}

/**
 * Webhook subscriptions as the REST API offers them. Input arrives validated by the DTOs; what is
 * checked here is policy (where callbacks may go). Entities never leave it: callers get WebhookDto.
 */
@Injectable()
export class WebhookService {
  private readonly logger = new Logger('WebhookService');
  private readonly secretGraceMs: number;

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly transactions: Transactions,
    private readonly destinations: DestinationPolicy,
    @InjectAppConfig() config: AppConfig,
  ) {
    this.secretGraceMs = config.webhookSecretGraceMs;
  }

  async create(input: CreateWebhookInput): Promise<CreatedWebhookDto> {
    this.assertReachable(input.uri);
    const secret = input.secret ?? generateWebhookSecret();
    const id = await this.transactions.run(async (manager) => {
      await this.assertChannelsExist(manager, input.channels);
      // Times come from the application in UTC, as for every other table (not the server's clock).
      return this.webhooks.insert(manager, {
        uri: input.uri,
        secret,
        events: input.event,
        rateLimit: input.rateLimit,
        headers: storedHeaders(input.headers),
        channels: storedChannels(input.channels),
        now: new Date(),
      });
    });
    return { ...(await this.findOne(id)), secret };
  }

  async findOne(id: string): Promise<WebhookDto> {
    const [found] = await this.webhooks.findWithEvents([id]);
    if (!found) throw notFound('webhook', id);
    return toWebhookDto(found.webhook, found.events);
  }

  /** Oldest first; `event` keeps webhooks subscribed to any of the names (or to `all`). */
  async list(query: ListWebhooksInput): Promise<Page<WebhookDto>> {
    const { found, total } = await this.webhooks.page(
      query.event,
      query.channel,
      query.page * query.length,
      query.length,
    );
    return toPage(
      found.map(({ webhook, events }) => toWebhookDto(webhook, events)),
      total,
      query,
    );
  }

  async update(id: string, input: UpdateWebhookInput): Promise<WebhookDto> {
    if (input.uri !== undefined) this.assertReachable(input.uri);
    await this.transactions.run(async (manager) => {
      if (!(await this.webhooks.lock(manager, id))) throw notFound('webhook', id);
      await this.assertChannelsExist(manager, input.channels);
      const changes: Partial<WebhookEntity> = { updatedAt: new Date() };
      if (input.channels !== undefined) changes.channels = storedChannels(input.channels);
      if (input.uri !== undefined) changes.uri = input.uri;
      if (input.rateLimit !== undefined) changes.rateLimit = input.rateLimit;
      if (input.headers !== undefined) changes.headers = storedHeaders(input.headers);
      if (input.active !== undefined) Object.assign(changes, putActive(input.active));
      await this.webhooks.update(manager, id, changes);
      if (input.event !== undefined) await this.webhooks.replaceEvents(manager, id, input.event);
    });
    return this.findOne(id);
  }

  /**
   * Without events, deletes the webhook. With events, takes them off (a webhook on `all` keeps
   * every other known event) and deletes the webhook once none is left.
   *
   * A webhook's log goes first, DELETE_CHUNK deliveries (with their attempts) per transaction,
   * then the webhook itself with whatever reached it meanwhile. Stopped midway (the process died),
   * the webhook is still there with part of its log, nothing is orphaned, and the same call again
   * finishes the work.
   */
  async remove(id: string, removing?: EventSubscription[]): Promise<void> {
    const whole = await this.transactions.run(async (manager) => {
      if (!(await this.webhooks.lock(manager, id))) throw notFound('webhook', id);
      if (removing !== undefined && !removing.includes(ALL_EVENTS)) {
        const had = (await this.webhooks.eventsOf(manager, [id])).get(id) ?? [];
        const expanded: EventSubscription[] = had.includes(ALL_EVENTS)
          ? [...CHANNEL_EVENT_NAMES, ...had.filter((name) => name !== ALL_EVENTS)]
          : had;
        const left = expanded.filter((name) => !removing.includes(name));
        if (left.length > 0) {
          if (left.length !== had.length || had.includes(ALL_EVENTS)) {
            await this.webhooks.replaceEvents(manager, id, left);
            await this.webhooks.update(manager, id, { updatedAt: new Date() });
          }
          return false;
        }
      }
      return true;
    });
    if (!whole) return;
    const progress = progressLog(
      this.logger,
      (done) => `Deleting webhook ${id}: ${done} deliveries of its log deleted so far`,
    );
    let deleted = 0;
    for (;;) {
      const chunk = await this.transactions.run((manager) =>
        this.webhooks.deleteLogChunk(manager, id, DELETE_CHUNK),
      );
      deleted += chunk;
      progress(deleted);
      if (chunk < DELETE_CHUNK) break;
    }
    await this.transactions.run(async (manager) => {
      // Deleted meanwhile by another call: that one finished the work.
      if (await this.webhooks.lock(manager, id)) await this.webhooks.delete(manager, id);
    });
  }

  /** A new secret; the old one keeps signing for WEBHOOK_SECRET_GRACE so receivers can switch. */
  async rotateSecret(id: string): Promise<string> {
    const secret = generateWebhookSecret();
    await this.transactions.run(async (manager) => {
      const current = await this.webhooks.lockSecret(manager, id);
      if (current === undefined) throw notFound('webhook', id);
      await this.webhooks.update(manager, id, {
        secret,
        previousSecret: current,
        previousSecretExpiresAt: new Date(Date.now() + this.secretGraceMs),
        updatedAt: new Date(),
      });
    });
    return secret;
  }

  /** A channel list may name only channels that exist (one deleted later simply stops matching). */
  private async assertChannelsExist(
    manager: EntityManager,
    channels: string[] | null | undefined,
  ): Promise<void> {
    if (!channels) return;
    const missing = await this.webhooks.missingChannels(manager, distinctChannels(channels));
    if (missing.length === 0) return;
    const names = missing.slice(0, 5).map((id) => `"${id}"`);
    const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
    throw invalid(
      `channels names ${missing.length === 1 ? 'no channel' : 'no channels'} ${names.join(', ')}${more}`,
    );
  }

  private assertReachable(uri: string): void {
    const denial = this.destinations.denialOfUri(uri);
    if (denial) throw invalid(`uri is not allowed: ${denial} (see DELIVERY_ALLOWED_CIDRS)`);
  }
}

export function toWebhookDto(
  webhook: WebhookWithEvents['webhook'],
  events: EventSubscription[],
): WebhookDto {
  return {
    id: webhook.id,
    uri: webhook.uri,
    event: events,
    active: isActive(webhook.state),
    rateLimit: webhook.rateLimit,
    headers: maskedHeaders(webhook.headerNames),
    channels: webhook.channels,
    createdAt: webhook.createdAt.toISOString(),
    updatedAt: webhook.updatedAt.toISOString(),
  };
}
