import { PageOf } from '../../common/paging.dto.js';
import { ApiProperty } from '@nestjs/swagger';
import {
  ALL_EVENTS,
  CHANNEL_EVENT_NAMES,
  OPERATIONAL_EVENT_NAMES,
  type EventSubscription,
} from '../../common/channel-event-name.js';
import { MASKED_HEADER_VALUE } from '../webhook-headers.js';

export class WebhookDto {
  @ApiProperty({ description: 'Webhook id', example: '123456' })
  id: string;

  @ApiProperty({ example: 'https://app.example.com/hooks/live' })
  uri: string;

  @ApiProperty({
    description:
      'Subscribed events, in the order given; `["all"]` for every channel event (operational events are subscribed to by name)',
    type: [String],
    enum: [ALL_EVENTS, ...CHANNEL_EVENT_NAMES, ...OPERATIONAL_EVENT_NAMES],
    example: ['channel_live', 'channel_ended'],
  })
  event: EventSubscription[];

  @ApiProperty({
    description:
      'Inactive webhooks get no callbacks (paused by PUT, a 410 answer, or failing too long)',
    example: true,
  })
  active: boolean;

  @ApiProperty({
    description:
      'At most this many deliveries per second to this webhook (per instance); null: no limit',
    type: 'integer',
    nullable: true,
    example: null,
  })
  rateLimit: number | null;

  @ApiProperty({
    description: `The webhook's own headers, sent with every callback: the names, each value masked as \`${MASKED_HEADER_VALUE}\` (values are never shown again); \`{}\` for none`,
    type: 'object',
    additionalProperties: { type: 'string', enum: [MASKED_HEADER_VALUE] },
    example: { Authorization: MASKED_HEADER_VALUE },
  })
  headers: Record<string, string>;

  @ApiProperty({
    description:
      'The channels whose events it gets, by id; null: every channel. A channel deleted since stays listed and never matches.',
    type: [String],
    nullable: true,
    example: null,
  })
  channels: string[] | null;

  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' })
  updatedAt: string;
}

export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    description: 'Signing secret for the webhook-signature header; shown only in this answer',
    example: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
  })
  secret: string;
}

export class WebhookPageDto extends PageOf(WebhookDto, 'WebhookPageDto') {}

export class WebhookSecretDto {
  @ApiProperty({ example: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD' })
  secret: string;
}
