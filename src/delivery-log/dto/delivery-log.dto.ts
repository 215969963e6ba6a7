import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, Matches } from 'class-validator';
import { CursorBefore, PageOf, PageQueryDto } from '../../common/paging.dto.js';
import {
  DELIVERY_EVENTS,
  type DeliveryEvent,
  DeliveryDto,
  DeliveryFieldsDto,
  PUBLIC_DELIVERY_STATUSES,
  type PublicDeliveryStatus,
} from '../../delivery/dto/delivery.dto.js';

// The filters have no examples: Swagger UI would fill them in and filter the list.
export class ListDeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PUBLIC_DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(PUBLIC_DELIVERY_STATUSES)
  status?: PublicDeliveryStatus;

  @ApiPropertyOptional({ enum: DELIVERY_EVENTS, description: 'Only deliveries of this event' })
  @IsOptional()
  @IsIn(DELIVERY_EVENTS)
  event?: DeliveryEvent;

  @ApiPropertyOptional({
    description: 'Only deliveries of this channel (a channel id)',
    pattern: '^[1-9][0-9]{0,18}$',
  })
  @IsOptional()
  @Matches(/^[1-9]\d{0,18}$/, { message: 'channelId must be a channel id (digits)' })
  channelId?: string;

  @ApiPropertyOptional({
    description: 'Only deliveries created at or after this time (ISO 8601)',
    format: 'date-time',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({
    description: 'Only deliveries created before this time (ISO 8601)',
    format: 'date-time',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;

  @ApiPropertyOptional({
    description: 'The delivery whose webhook-id header is this (exact)',
    maxLength: 64,
  })
  @IsOptional()
  @Matches(/^[\x21-\x7e]{1,64}$/, {
    message: 'messageId must be a webhook-id: 1 to 64 visible ASCII characters',
  })
  messageId?: string;

  @CursorBefore()
  before?: string;
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
    description:
      "The answer's body, cut on a character boundary at DELIVERY_RESPONSE_MAX_BYTES bytes of " +
      'UTF-8 (DELIVERY_RESPONSE_MAX_BYTES_SUCCESS for a 2xx answer: 64 KiB and 1 KiB by default)',
    example: 'busy',
  })
  responseBody: string | null;

  @ApiProperty({
    description: 'The answer was longer than `responseBody` keeps: it was cut',
    example: false,
  })
  responseBodyTruncated: boolean;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    description:
      "The headers sent (the signature headers, and the webhook's own headers with each value " +
      'masked as `********`); null for attempts recorded before headers were kept, and for ' +
      'attempts not sent',
    example: {
      Authorization: '********',
      'content-type': 'application/json',
      'user-agent': 'channel-webhooks/0.1.0',
      'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      'webhook-timestamp': '1764237600',
      'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
    },
  })
  requestHeaders: Record<string, string> | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    description:
      "The answer's headers as received (lower-case names; repeated ones joined with `, `; the " +
      'first 50, at most 8 KiB in all); null when no answer came',
    example: { 'content-type': 'text/plain', 'retry-after': '30' },
  })
  responseHeaders: Record<string, string> | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the attempt failed, in words; null on success',
    example: 'The receiver answered 503 Service Unavailable',
  })
  errorDescription: string | null;
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

export class DeliveryPageDto extends PageOf(DeliveryDto, 'DeliveryPageDto') {
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Pass as `before` for the next (older) page; null on the last page. `total` counts every ' +
      'match of the filters, whatever `before` is.',
    example: '971',
  })
  nextCursor: string | null;
}
