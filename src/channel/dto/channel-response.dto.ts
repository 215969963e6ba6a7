import { ApiProperty } from '@nestjs/swagger';
import { CHANNEL_EVENT_NAMES, type ChannelEventName } from '../../common/channel-event-name.js';
import { PageOf } from '../../common/paging.dto.js';
import { CHANNEL_STATUSES, type ChannelStatus } from '../channel.entity.js';

/** The channel as GET /v1/channel/{id} returns it, and as every callback carries it. */
export class ChannelDto {
  @ApiProperty({ example: '42' })
  id: string;

  @ApiProperty({ example: 'Morning show' })
  name: string;

  @ApiProperty({ type: String, nullable: true, example: 'Daily news at 7' })
  description: string | null;

  @ApiProperty({ enum: CHANNEL_STATUSES, example: 'live' })
  status: ChannelStatus;

  @ApiProperty({ type: 'integer', description: 'Seconds', example: 60 })
  reconnectWindow: number;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The current or last live session',
    example: '5f0c8a9e-3f7b-4d5e-9a59-0c1d2e3f4a5b',
  })
  sessionId: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'When the current session went live',
    example: '2026-11-27T10:00:00.000Z',
  })
  liveAt: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'When the publisher last stopped',
    example: null,
  })
  stoppedAt: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'When the last session ended',
    example: null,
  })
  endedAt: string | null;

  @ApiProperty({ example: '2026-11-27T09:00:00.000Z' })
  createdAt: string;

  @ApiProperty({ example: '2026-11-27T10:00:00.000Z' })
  updatedAt: string;
}

/** A channel event's callback body: the event, when it happened, and the channel as it was then. */
export class ChannelEventCallbackDto extends ChannelDto {
  @ApiProperty({ enum: CHANNEL_EVENT_NAMES, example: 'channel_live' })
  event: ChannelEventName;

  @ApiProperty({
    type: 'integer',
    description: 'When the event happened, ms since the epoch',
    example: 1764237600000,
  })
  eventTime: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description:
      "The event's place among its channel's events: 1 for the first, one more for each after it. " +
      'A gap, or a number not above the last one seen, tells a receiver that it missed an event or got one late.',
    example: 1,
  })
  sequence: number;
}

export class StreamKeyDto {
  @ApiProperty({
    description: 'The secret a publisher puts in its RTMP URL',
    example: 'kT3vQ9nW2xYb7LmP0aZc5dFh8jRs1uVe',
  })
  streamKey: string;
}

export class CreatedChannelDto extends ChannelDto {
  @ApiProperty({
    description: 'Shown here and by GET /v1/channel/{id}/stream-key only',
    example: 'kT3vQ9nW2xYb7LmP0aZc5dFh8jRs1uVe',
  })
  streamKey: string;
}

export class ChannelPageDto extends PageOf(ChannelDto, 'ChannelPageDto') {}
