import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';
import { CHANNEL_EVENT_NAMES, PING_EVENT } from '../../common/channel-event-name.js';
import { EVENT_TYPE_NAMES, type EventTypeName, isEventTypeName } from '../../common/event-types.js';
import { IsOptionalNotNull } from '../../common/validation.pipe.js';
import { CheckedBy } from '../../common/validators.js';

export const PUBLIC_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type PublicDeliveryStatus = (typeof PUBLIC_DELIVERY_STATUSES)[number];

/** What a delivery can be of: a channel event, or a test ping. */
export const DELIVERY_EVENTS = [...CHANNEL_EVENT_NAMES, PING_EVENT] as const;
export type DeliveryEvent = (typeof DELIVERY_EVENTS)[number];

/** The fields every answer about a delivery has. */
export class DeliveryFieldsDto {
  @ApiProperty({ example: '981' })
  id: string;

  @ApiProperty({ description: 'The event name, or `ping` for a test', example: 'channel_live' })
  event: string;

  @ApiProperty({ type: String, nullable: true, description: 'null for a test ping', example: '42' })
  channelId: string | null;

  @ApiProperty({
    description: 'The webhook-id header of every attempt',
    example: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
  })
  messageId: string;

  @ApiProperty({
    enum: PUBLIC_DELIVERY_STATUSES,
    description:
      'pending (queued, retrying, or waiting for an earlier delivery of the same channel), succeeded, or failed (no attempts left)',
    example: 'failed',
  })
  status: PublicDeliveryStatus;

  @ApiProperty({ type: 'integer', nullable: true, example: 503 })
  lastStatusCode: number | null;

  @ApiProperty({ type: String, nullable: true, example: 'HTTP 503' })
  lastError: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'When the next attempt is due; null when done or waiting',
    example: null,
  })
  nextAttemptAt: string | null;

  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' })
  createdAt: string;
}

export class DeliveryDto extends DeliveryFieldsDto {
  @ApiProperty({ type: 'integer', description: 'Attempts made so far', example: 8 })
  attempts: number;
}

export class RecoverDeliveriesDto {
  @ApiProperty({
    description: 'Failed deliveries created at or after this time are queued again',
    format: 'date-time',
    example: '2026-11-27T10:00:00.000Z',
  })
  @IsISO8601({ strict: true })
  since: string;

  @ApiPropertyOptional({
    description: 'And before this time (left out: up to now)',
    format: 'date-time',
    example: '2026-11-27T12:00:00.000Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}

export class RecoveredDto {
  @ApiProperty({
    type: 'integer',
    description: 'How many failed deliveries were queued again',
    example: 12,
  })
  recovered: number;
}

/** The body of a test callback (POST /v1/webhook/{webhookId}/test). */
export class PingCallbackDto {
  @ApiProperty({ enum: [PING_EVENT], example: PING_EVENT })
  event: typeof PING_EVENT;

  @ApiProperty({ type: 'integer', description: 'ms since the epoch', example: 1764237600000 })
  eventTime: number;

  @ApiProperty({ description: 'The webhook pinged', example: '123456' })
  webhookId: string;
}

export class TestWebhookDto {
  @ApiPropertyOptional({
    enum: EVENT_TYPE_NAMES,
    description:
      'The event whose example to send (see GET /v1/event-types), with eventTime now; left out: a ping',
    example: 'channel_live',
  })
  @IsOptionalNotNull()
  @CheckedBy('isEventTypeName', (value, field) =>
    isEventTypeName(value) ? undefined : `${field} has an unknown event ${JSON.stringify(value)}`,
  )
  event?: EventTypeName;
}
