/**
 * The /v1 answers and bodies the dashboard's scripts (static/) read and send, as JSON: the DTOs
 * of the webhook, delivery and channel controllers, dates as ISO 8601 strings.
 * Written out here rather than imported because the dashboard depends on common only (the
 * dependency rule), and the scripts are checked by tsconfig.dashboard.json, which knows the DOM
 * and not Nest: so nothing here may name a DOM or Node type. test/dashboard-api-types.e2e-spec.ts
 * holds each type to its DTO in the type-check, so a DTO cannot change without this file.
 */

/** CHANNEL_EVENT_NAMES (common/channel-event-name.ts). */
export type ChannelEventName = 'channel_live' | 'channel_stop' | 'channel_ended';

/** OPERATIONAL_EVENT_NAMES (common/channel-event-name.ts). */
export type OperationalEventName =
  'webhook_failing' | 'webhook_recovered' | 'webhook_disabled' | 'delivery_exhausted';

/** What a webhook subscribes to: event names, or `all` (the channel events). */
export type EventSubscription = ChannelEventName | OperationalEventName | 'all';

/** A paged list (common/paging.dto.ts, PageOf). */
export interface Page<T> {
  data: T[];
  total: number;
  length: number;
  page: number;
}

/** An answer other than 2xx (ErrorResponseDto). */
export interface ErrorResponse {
  statusCode: number;
  message: string | string[];
  error: string;
}

/** The empty answer of a DELETE (EmptyResponseDto). */
export type EmptyResponse = Record<string, never>;

// ---------------------------------------------------------------------------------------------
// Webhooks (webhook/dto/webhook-response.dto.ts, webhook-request.dto.ts)

/** WebhookDto: GET, PUT /v1/webhook/{id}. */
export interface Webhook {
  id: string;
  uri: string;
  event: EventSubscription[];
  active: boolean;
  rateLimit: number | null;
  /** Names, each value masked. */
  headers: Record<string, string>;
  /** Channel ids; null: every channel. */
  channels: string[] | null;
  createdAt: string;
  updatedAt: string;
}

/** CreatedWebhookDto: POST /v1/webhook. */
export interface CreatedWebhook extends Webhook {
  secret: string;
}

/** WebhookSecretDto: POST /v1/webhook/{id}/secret/rotate. */
export interface WebhookSecret {
  secret: string;
}

/** CreateWebhookDto: the body of POST /v1/webhook. */
export interface CreateWebhookBody {
  uri: string;
  event: EventSubscription[];
  secret?: string;
  rateLimit?: number | null;
  headers?: Readonly<Record<string, string>> | null;
  channels?: string[] | null;
}

/** UpdateWebhookDto: the body of PUT /v1/webhook/{id}, at least one field. */
export interface UpdateWebhookBody {
  uri?: string;
  event?: EventSubscription[];
  active?: boolean;
  rateLimit?: number | null;
  headers?: Readonly<Record<string, string>> | null;
  channels?: string[] | null;
}

// ---------------------------------------------------------------------------------------------
// The webhook summary (delivery/dto/webhook-summary.dto.ts)

/** SUMMARY_WINDOWS. */
export type SummaryWindow = '1h' | '24h' | '7d';

/** WEBHOOK_STATES. */
export type WebhookState = 'healthy' | 'failing' | 'paused' | 'disabled';

/** SummaryBucketDto. */
export interface SummaryBucket {
  start: string;
  attempts: number;
  failed: number;
}

/** WebhookSummaryDto: a webhook with its health over the window. */
export interface WebhookSummary extends Webhook {
  state: WebhookState;
  failingSince: string | null;
  lastError: string | null;
  lastStatusCode: number | null;
  lastAttemptAt: string | null;
  nextRetryAt: string | null;
  disabledReason: string | null;
  pending: number;
  attempts: number;
  succeeded: number;
  successRate: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  buckets: SummaryBucket[];
}

/** WebhookSummaryPageDto: GET /v1/webhook-summary. */
export interface WebhookSummaryPage {
  window: SummaryWindow;
  generatedAt: string;
  webhooks: WebhookSummary[];
}

// ---------------------------------------------------------------------------------------------
// Deliveries (delivery/dto/delivery.dto.ts)

/** PUBLIC_DELIVERY_STATUSES. */
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** DeliveryFieldsDto: what a delivery and its detail share. */
interface DeliveryFields {
  id: string;
  /** The event name, or `ping` for a test. */
  event: string;
  /** null for a test ping. */
  channelId: string | null;
  messageId: string;
  status: DeliveryStatus;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

/** DeliveryDto: an entry of the delivery log; the answer of redeliver and test. */
export interface Delivery extends DeliveryFields {
  attempts: number;
}

/** DeliveryAttemptDto. */
export interface DeliveryAttempt {
  at: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
  responseBodyTruncated: boolean;
  requestHeaders: Record<string, string> | null;
  responseHeaders: Record<string, string> | null;
  errorDescription: string | null;
}

/** DeliveryDetailDto: GET /v1/webhook/{id}/deliveries/{id}. */
export interface DeliveryDetail extends DeliveryFields {
  attempts: DeliveryAttempt[];
  payload: unknown;
}

/** DeliveryPageDto: GET /v1/webhook/{id}/deliveries. */
export interface DeliveryPage extends Page<Delivery> {
  nextCursor: string | null;
}

/** RecoveredDto: the answer of recover. */
export interface Recovered {
  recovered: number;
}

// ---------------------------------------------------------------------------------------------
// Channels (channel/dto/channel-response.dto.ts, delivery/dto/channel-timeline.dto.ts)

/** CHANNEL_STATUSES (channel/channel.entity.ts). */
export type ChannelStatus = 'idle' | 'live' | 'stopped' | 'ended';

/** ChannelDto: GET /v1/channel/{id}, and the answer of end. */
export interface Channel {
  id: string;
  name: string;
  description: string | null;
  status: ChannelStatus;
  reconnectWindow: number;
  sessionId: string | null;
  liveAt: string | null;
  stoppedAt: string | null;
  endedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** ChannelPageDto: GET /v1/channel. */
export type ChannelPage = Page<Channel>;

/** EventDeliveryDto. */
export interface EventDelivery {
  webhookId: string;
  deliveryId: string;
  status: DeliveryStatus;
}

/** ChannelTimelineEventDto. */
export interface ChannelTimelineEvent {
  id: string;
  event: ChannelEventName;
  eventTime: number;
  at: string;
  sessionId: string | null;
  deliveries: EventDelivery[];
}

/** ChannelTimelineDto: GET /v1/channel/{id}/events. */
export interface ChannelTimeline {
  data: ChannelTimelineEvent[];
  nextCursor: string | null;
}

// ---------------------------------------------------------------------------------------------
// The event catalog (event-types/event-types.controller.ts)

/** EventTypeDto. */
export interface EventType {
  name: ChannelEventName | 'ping' | OperationalEventName;
  description: string;
  /** A JSON Schema (2020-12) of the body. */
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
}

/** EventTypeListDto: GET /v1/event-types. */
export interface EventTypeList {
  data: EventType[];
}
