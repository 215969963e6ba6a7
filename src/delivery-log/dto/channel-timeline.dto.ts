import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { CHANNEL_EVENT_NAMES, type ChannelEventName } from '../../common/channel-event-name.js';
import { CursorBefore, MAX_PAGE_LENGTH, toInteger } from '../../common/paging.dto.js';
import { IsIntegerIn } from '../../common/validators.js';
import {
  PUBLIC_DELIVERY_STATUSES,
  type PublicDeliveryStatus,
} from '../../delivery/dto/delivery.dto.js';

export class ChannelEventsQueryDto {
  @CursorBefore()
  before?: string;

  @ApiPropertyOptional({
    type: 'integer',
    description: 'Events per page',
    default: 20,
    minimum: 1,
    maximum: MAX_PAGE_LENGTH,
    example: 20,
  })
  @IsOptional()
  @Transform(toInteger)
  @IsIntegerIn(1, MAX_PAGE_LENGTH)
  length: number = 20;
}

export class EventDeliveryDto {
  @ApiProperty({ example: '123456' })
  webhookId: string;

  @ApiProperty({ example: '981' })
  deliveryId: string;

  @ApiProperty({ enum: PUBLIC_DELIVERY_STATUSES, example: 'succeeded' })
  status: PublicDeliveryStatus;
}

export class ChannelTimelineEventDto {
  @ApiProperty({ description: 'Event id (the outbox row)', example: '17' })
  id: string;

  @ApiProperty({ enum: CHANNEL_EVENT_NAMES, example: 'channel_live' })
  event: ChannelEventName;

  @ApiProperty({
    type: 'integer',
    description: "ms since the epoch: the callbacks' eventTime",
    example: 1764237600000,
  })
  eventTime: number;

  @ApiProperty({ description: 'When the event was recorded', example: '2026-11-27T10:00:00.000Z' })
  at: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The live session the event belongs to',
    example: '5f0c8a9e-3f7b-4d5e-9a59-0c1d2e3f4a5b',
  })
  sessionId: string | null;

  @ApiProperty({
    type: [EventDeliveryDto],
    description:
      'One per webhook the event went to, by webhook id; empty before its fan-out and once ' +
      'DELIVERY_RETENTION removed them',
  })
  deliveries: EventDeliveryDto[];
}

export class ChannelTimelineDto {
  @ApiProperty({ type: [ChannelTimelineEventDto], description: 'Newest first' })
  data: ChannelTimelineEventDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `before` for the next (older) page; null on the last page',
    example: '12',
  })
  nextCursor: string | null;
}
