import { Injectable } from '@nestjs/common';
import {
  ALL_EVENTS,
  CHANNEL_EVENT_NAMES,
  type ChannelEventName,
  isChannelEventName,
  isOperationalEventName,
  type OperationalEventName,
  type SubscribableEventName,
} from '../common/channel-event-name.js';
import type { SnapshotWebhook } from './webhook.repository.js';
import { WebhookRepository } from './webhook.repository.js';
import { readStoredHeaders, type WebhookHeaders } from './webhook-headers.js';
import { isActive } from './webhook-state.js';
import type { DeliveryTarget, SigningSecrets, WebhookTarget } from './webhook.types.js';

/** Reloaded at least this often, so an edit made in the database by hand is seen too. */
const MAX_AGE_MS = 60_000;

/** A webhook as held: its headers parsed once, not per attempt. */
interface HeldWebhook extends SnapshotWebhook {
  parsedHeaders: WebhookHeaders;
}

/**
 * What delivery reads of webhooks, held in memory: who wants each event, and where and how to
 * send. It is never trusted blindly: every fan-out and every claim reads the webhooks' version in
 * its own transaction and asks for at least that version here, so a change committed before an
 * event is raised (on any instance) is seen by that event's fan-out. A newer version reloads it all.
 */
@Injectable()
export class WebhookDirectory {
  private loadedVersion = -1;
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  /** Of the webhooks on every channel; and of operational events, of every webhook. */
  private subscribersOf = new Map<SubscribableEventName, WebhookTarget[]>();
  /** Of the webhooks limited to some channels, by event and channel (see channelKey). */
  private limitedSubscribersOf = new Map<string, WebhookTarget[]>();
  private webhooks = new Map<string, HeldWebhook>();

  constructor(private readonly repository: WebhookRepository) {}

  /** Resolves once what is held is at least `version`. */
  async atLeast(version: number): Promise<this> {
    if (Date.now() - this.loadedAt > MAX_AGE_MS) this.loadedVersion = -1;
    while (this.loadedVersion < version) {
      this.loading ??= this.reload().finally(() => (this.loading = undefined));
      await this.loading;
    }
    return this;
  }

  /**
   * Active webhooks subscribed to `event` or to `all` that get `channelId`'s events (on every
   * channel, or limited to channels that include it), by id (oldest first), each once.
   */
  subscribers(event: ChannelEventName, channelId: string): WebhookTarget[] {
    const everyChannel = this.subscribersOf.get(event) ?? [];
    const limited = this.limitedSubscribersOf.get(channelKey(event, channelId));
    return limited === undefined ? everyChannel : mergeById(everyChannel, limited);
  }

  /**
   * Active webhooks subscribed to an operational event, by id, each once; never the webhook it is
   * about.
   */
  operationalSubscribers(event: OperationalEventName, aboutWebhookId: string): WebhookTarget[] {
    return (this.subscribersOf.get(event) ?? []).filter((target) => target.id !== aboutWebhookId);
  }

  /** Whether this webhook's failing run has been told of (webhook_failing), as of the version held. */
  failingAlerted(id: string): boolean {
    return this.webhooks.get(id)?.failingAlerted ?? false;
  }

  /** Where and how to send to a webhook now; undefined when it is gone. */
  target(id: string, now = Date.now()): DeliveryTarget | undefined {
    const webhook = this.webhooks.get(id);
    if (!webhook) return undefined;
    const secrets: SigningSecrets =
      webhook.previousSecret !== null &&
      webhook.previousSecretExpiresAt !== null &&
      webhook.previousSecretExpiresAt.getTime() > now
        ? { current: webhook.secret, previous: webhook.previousSecret }
        : { current: webhook.secret };
    return {
      id,
      uri: webhook.uri,
      state: webhook.state,
      rateLimit: webhook.rateLimit,
      secrets,
      headers: webhook.parsedHeaders,
    };
  }

  /** A webhook's deliveries per second at most, or null (no limit, or no such webhook). */
  rateLimit(id: string): number | null {
    return this.webhooks.get(id)?.rateLimit ?? null;
  }

  /** Since when deliveries to a webhook keep failing (as of the version held), or null. */
  failingSince(id: string): Date | null {
    return this.webhooks.get(id)?.failingSince ?? null;
  }

  private async reload(): Promise<void> {
    const loadedAt = Date.now();
    const snapshot = await this.repository.snapshot();
    const webhooks = new Map<string, HeldWebhook>();
    for (const webhook of snapshot.webhooks) {
      // Most reloads change no headers: what was parsed before is kept.
      const held = this.webhooks.get(webhook.id);
      const parsedHeaders =
        held !== undefined && held.headers === webhook.headers
          ? held.parsedHeaders
          : readStoredHeaders(webhook.headers);
      webhooks.set(webhook.id, { ...webhook, parsedHeaders });
    }
    const subscribersOf = new Map<SubscribableEventName, WebhookTarget[]>();
    const limitedSubscribersOf = new Map<string, WebhookTarget[]>();
    // Oldest first, so each list is in id order.
    for (const webhook of snapshot.webhooks) {
      if (!isActive(webhook.state)) continue;
      const named = webhook.events.filter((name) => name !== ALL_EVENTS);
      const target = { id: webhook.id, uri: webhook.uri };
      // Operational events are about webhooks, not channels: a channel list does not limit them.
      for (const name of named.filter(isOperationalEventName)) append(subscribersOf, name, target);
      const names: readonly ChannelEventName[] = webhook.events.includes(ALL_EVENTS)
        ? CHANNEL_EVENT_NAMES
        : named.filter(isChannelEventName);
      for (const name of names) {
        if (webhook.channels === null) append(subscribersOf, name, target);
        else
          for (const id of webhook.channels)
            append(limitedSubscribersOf, channelKey(name, id), target);
      }
    }
    this.webhooks = webhooks;
    this.subscribersOf = subscribersOf;
    this.limitedSubscribersOf = limitedSubscribersOf;
    this.loadedVersion = snapshot.version;
    this.loadedAt = loadedAt;
  }
}

const channelKey = (event: ChannelEventName, channelId: string) => `${event} ${channelId}`;

function append<K>(lists: Map<K, WebhookTarget[]>, key: K, target: WebhookTarget): void {
  const list = lists.get(key);
  if (list) list.push(target);
  else lists.set(key, [target]);
}

/** Two lists in id order (numeric, as strings of digits), as one in id order. */
function mergeById(a: WebhookTarget[], b: WebhookTarget[]): WebhookTarget[] {
  const merged: WebhookTarget[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    merged.push(idBefore(a[i].id, b[j].id) ? a[i++] : b[j++]);
  }
  return merged.concat(a.slice(i), b.slice(j));
}

const idBefore = (x: string, y: string) => x.length < y.length || (x.length === y.length && x < y);
