import type { INestApplication } from '@nestjs/common';
import { SECURITY_SCHEMES as SECURITY } from './common/auth/auth.decorators.js';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ChannelEventCallbackDto } from './channel/dto/channel-response.dto.js';
import {
  CHANNEL_EVENT_NAMES,
  isOperationalEventName,
  type OperationalEventName,
  PING_EVENT,
} from './common/channel-event-name.js';
import {
  DeliveryExhaustedCallbackDto,
  WebhookDisabledCallbackDto,
  WebhookFailingCallbackDto,
  WebhookRecoveredCallbackDto,
} from './delivery/dto/operational-event.dto.js';
import { EVENT_DESCRIPTIONS, type EventTypeName } from './common/event-types.js';
import type { AppConfig } from './config/app-config.js';
import { ErrorResponseDto } from './common/paging.dto.js';
import { PingCallbackDto } from './delivery/dto/delivery.dto.js';
import { APP_CONFIG } from './config/app-config.module.js';

const SIGNATURE_HEADERS = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'The message id: the same on every retry and redelivery of one delivery',
    schema: { type: 'string', example: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'Unix seconds of this attempt; refuse one too far from your clock',
    schema: { type: 'string', pattern: '^[0-9]+$', example: '1764237600' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'Space-separated `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, ' +
      "keyed with the base64-decoded part of the webhook's `whsec_` secret; during a rotation's " +
      'grace period one signature per secret (Standard Webhooks)',
    schema: { type: 'string', example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=' },
  },
];

/** The body of each operational event. */
const OPERATIONAL_BODIES: Record<OperationalEventName, new () => object> = {
  webhook_failing: WebhookFailingCallbackDto,
  webhook_recovered: WebhookRecoveredCallbackDto,
  webhook_disabled: WebhookDisabledCallbackDto,
  delivery_exhausted: DeliveryExhaustedCallbackDto,
};

/** One `webhooks` entry: the POST a receiver gets for `event`. */
function callback(event: EventTypeName, schema: string): Record<string, unknown> {
  return {
    post: {
      operationId: `callback_${event}`,
      summary: EVENT_DESCRIPTIONS[event],
      description:
        (isOperationalEventName(event)
          ? 'Sent to every active webhook subscribed to the event by name (`all` is the channel ' +
            'events), never to the webhook it is about, signed per '
          : 'Sent to every active webhook subscribed to the event (or to `all`), signed per ') +
        'Standard Webhooks. Answer 2xx within DELIVERY_TIMEOUT; anything else, or no answer, ' +
        'is retried with backoff. Deliveries of one channel arrive in order.',
      tags: ['callbacks'],
      security: [],
      parameters: SIGNATURE_HEADERS,
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
      },
      responses: {
        '200': { description: 'Received (any 2xx counts)' },
        default: { description: 'Anything else (or no answer in time) is retried' },
      },
    },
  };
}

/**
 * With COMPAT_GET_DELETE=true, `GET /v1/webhook/{webhookId}` is the original document's delete:
 * the served document says so, so that generated clients type its answer as `{}`.
 */
function describeGetAsDelete(document: OpenAPIObject): void {
  const item = document.paths['/v1/webhook/{webhookId}'];
  if (!item.get || !item.delete) return;
  item.get = {
    ...item.get,
    summary: 'Delete a webhook, or take some events off it (COMPAT_GET_DELETE=true)',
    description:
      "The original API document's delete: exactly `DELETE /v1/webhook/{webhookId}` (with " +
      '`event`, only those events are taken off; the webhook is deleted when none is left), ' +
      'answering `{}`. One webhook is read through the list in this mode.',
    parameters: item.delete.parameters,
    responses: { ...item.get.responses, '200': item.delete.responses['200'] },
  };
}

/** The OpenAPI 3.1 document of the API, with the callbacks receivers get as `webhooks`. */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('channel-webhooks')
    .setDescription(
      'Webhooks for live-streaming channels: subscribe HTTP callbacks to `channel_live`, ' +
        '`channel_stop` and `channel_ended`. The callbacks themselves are described under `webhooks`.',
    )
    .setVersion(version)
    .setLicense('UNLICENSED', 'https://spdx.org/licenses/')
    .addServer('/', 'This service')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque',
        description:
          'An API key from API_KEYS (an opaque string), as `Authorization: Bearer <key>`',
      },
      SECURITY.apiKey,
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'query',
        name: 'token',
        description: 'The ingest token (INGEST_TOKEN) in the hook URL: `?token=<token>`',
      },
      SECURITY.ingestToken,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'opaque',
        description: 'METRICS_TOKEN, as `Authorization: Bearer <token>`; only when it is set',
      },
      SECURITY.metricsToken,
    )
    .addTag('webhooks', 'Subscriptions: which events go to which URL')
    .addTag('deliveries', "A webhook's delivery log: attempts, redelivery, recovery, test pings")
    .addTag('channels', 'Channels and their live sessions')
    .addTag('ingest', "Media servers' publish hooks (nginx-rtmp, SRS, generic)")
    .addTag('operations', 'Health and metrics')
    .addTag('callbacks', 'What a receiver gets (see `webhooks`)')
    .build();
  const entries: [string, Record<string, unknown>][] = [
    ...CHANNEL_EVENT_NAMES.map((event): [string, Record<string, unknown>] => [
      event,
      callback(event, ChannelEventCallbackDto.name),
    ]),
    [PING_EVENT, callback(PING_EVENT, PingCallbackDto.name)],
    ...Object.entries(OPERATIONAL_BODIES).map(
      ([event, body]): [string, Record<string, unknown>] => [
        event,
        callback(event as EventTypeName, body.name),
      ],
    ),
  ];
  const webhooks = Object.fromEntries(entries) as OpenAPIObject['webhooks'];
  const document = SwaggerModule.createDocument(
    app,
    { ...config, webhooks },
    {
      extraModels: [
        ChannelEventCallbackDto,
        PingCallbackDto,
        ...Object.values(OPERATIONAL_BODIES),
        ErrorResponseDto,
      ],
    },
  );
  const settings = app.get<AppConfig>(APP_CONFIG);
  if (settings.compatGetDelete) describeGetAsDelete(document);
  return document;
}
