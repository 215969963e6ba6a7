import { Get, Param, Query } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiBadRequest, ApiKeyProtected } from '../common/api-errors.decorator.js';
import { ErrorResponseDto } from '../common/paging.dto.js';
import { ResourceIdPipe } from '../common/resource-id.pipe.js';
import { ChannelTimelineService } from './channel-timeline.service.js';
import { ChannelEventsQueryDto, ChannelTimelineDto } from './dto/channel-timeline.dto.js';
import { ServiceController } from '../common/service-controller.decorator.js';

/** A channel's events with their deliveries: the console reads the events core, not the reverse. */
@ApiTags('channels')
@ApiKeyProtected()
@ServiceController('v1/channel/:channelId/events')
export class ChannelTimelineController {
  constructor(private readonly timelines: ChannelTimelineService) {}

  @Get()
  @ApiParam({ name: 'channelId', description: 'Channel id', example: '42' })
  @ApiOperation({
    summary: "A channel's events, newest first, with their deliveries",
    description:
      'channel_live, channel_stop and channel_ended as recorded, with the session they belong ' +
      'to and the delivery each webhook got (at most 100 per event, by webhook id). Paged by ' +
      'cursor: pass `nextCursor` as `before`. Events outlive a deleted channel; an id with no ' +
      'events has an empty timeline.',
  })
  @ApiOkResponse({ type: ChannelTimelineDto })
  @ApiBadRequest('before must be an id (digits): the nextCursor of the previous page')
  @ApiNotFoundResponse({
    description: 'The path does not hold a channel id (digits)',
    type: ErrorResponseDto,
    example: { statusCode: 404, message: 'channel "abc" does not exist', error: 'Not Found' },
  })
  events(
    @Param('channelId', new ResourceIdPipe('channel')) channelId: string,
    @Query() query: ChannelEventsQueryDto,
  ): Promise<ChannelTimelineDto> {
    return this.timelines.timeline(channelId, query.before, query.length);
  }
}
