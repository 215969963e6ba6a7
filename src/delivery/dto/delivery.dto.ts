import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import { PageOf, PageQueryDto } from '../../common/paging.dto.js';

export const PUBLIC_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type PublicDeliveryStatus = (typeof PUBLIC_DELIVERY_STATUSES)[number];

export class ListDeliveriesQueryDto extends PageQueryDto {
  // no example: Swagger UI would fill it in and filter the list
  @ApiPropertyOptional({ enum: PUBLIC_DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(PUBLIC_DELIVERY_STATUSES)
  status?: PublicDeliveryStatus;
}

class DeliveryFieldsDto {
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

export class DeliveryAttemptDto {
  @ApiProperty({ example: '2026-11-27T10:00:00.120Z' })
  at: string;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'null when no answer came',
    example: 503,
  })
  statusCode: number | null;

  @ApiProperty({ type: 'integer', example: 35 })
  durationMs: number;

  @ApiProperty({ type: String, nullable: true, example: 'HTTP 503' })
  error: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The answer, cut at 64 KiB',
    example: 'busy',
  })
  responseBody: string | null;
}

export class DeliveryDetailDto extends DeliveryFieldsDto {
  @ApiProperty({ type: [DeliveryAttemptDto], description: 'Every attempt, oldest first' })
  attempts: DeliveryAttemptDto[];

  @ApiProperty({
    description: 'The JSON body every attempt sends',
    example: { event: 'channel_live', eventTime: 1764237600000, id: '42' },
  })
  payload: unknown;
}

export class DeliveryPageDto extends PageOf(DeliveryDto, 'DeliveryPageDto') {}

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
  @ApiProperty({ enum: ['ping'], example: 'ping' })
  event: 'ping';

  @ApiProperty({ type: 'integer', description: 'ms since the epoch', example: 1764237600000 })
  eventTime: number;

  @ApiProperty({ description: 'The webhook pinged', example: '123456' })
  webhookId: string;
}
