import { Body, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ResourceIdPipe } from '../common/resource-id.pipe.js';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiBadRequest,
  ApiBodyRefusals,
  ApiKeyProtected,
  ApiNotFound,
} from '../common/api-errors.decorator.js';
import { EmptyResponseDto, ErrorResponseDto } from '../common/paging.dto.js';
import { ChannelService } from './channel.service.js';
import {
  CreateChannelDto,
  ListChannelsQueryDto,
  UpdateChannelDto,
} from './dto/channel-request.dto.js';
import {
  ChannelDto,
  ChannelPageDto,
  CreatedChannelDto,
  StreamKeyDto,
} from './dto/channel-response.dto.js';
import { ServiceController } from '../common/service-controller.decorator.js';

const CHANNEL_ID = ApiParam({ name: 'channelId', description: 'Channel id', example: '42' });
/** The `channelId` of the path; an id that is not one is a 404. */
const ChannelIdParam = () => Param('channelId', new ResourceIdPipe('channel'));

@ApiTags('channels')
@ApiKeyProtected()
@ServiceController('v1/channel')
export class ChannelController {
  constructor(private readonly channels: ChannelService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a channel',
    description: 'The answer carries the stream key; the channel starts idle.',
  })
  @ApiCreatedResponse({ type: CreatedChannelDto })
  @ApiBadRequest('reconnectWindow must not be greater than 1800')
  @ApiBodyRefusals()
  create(@Body() body: CreateChannelDto): Promise<CreatedChannelDto> {
    return this.channels.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List channels, oldest first, optionally by status' })
  @ApiOkResponse({ type: ChannelPageDto })
  @ApiBadRequest('status must be one of the following values: idle, live, stopped, ended')
  list(@Query() query: ListChannelsQueryDto): Promise<ChannelPageDto> {
    return this.channels.list(query);
  }

  @Get(':channelId')
  @CHANNEL_ID
  @ApiOperation({ summary: 'Read one channel (as callbacks carry it)' })
  @ApiOkResponse({ type: ChannelDto })
  @ApiNotFound('channel')
  findOne(@ChannelIdParam() channelId: string): Promise<ChannelDto> {
    return this.channels.findOne(channelId);
  }

  @Put(':channelId')
  @CHANNEL_ID
  @ApiOperation({
    summary: 'Change name, description or reconnect window',
    description: 'Fields left out stay.',
  })
  @ApiOkResponse({ type: ChannelDto })
  @ApiBadRequest('body must set at least one of name, description, reconnectWindow')
  @ApiNotFound('channel')
  @ApiBodyRefusals()
  update(@ChannelIdParam() channelId: string, @Body() body: UpdateChannelDto): Promise<ChannelDto> {
    return this.channels.update(channelId, body);
  }

  @Delete(':channelId')
  @CHANNEL_ID
  @ApiOperation({
    summary: 'Delete a channel',
    description: 'A live or stopped channel is ended first (its channel_ended is sent).',
  })
  @ApiOkResponse({ type: EmptyResponseDto, example: {} })
  @ApiNotFound('channel')
  async remove(@ChannelIdParam() channelId: string): Promise<EmptyResponseDto> {
    await this.channels.remove(channelId);
    return {};
  }

  @Get(':channelId/stream-key')
  @CHANNEL_ID
  @ApiOperation({ summary: 'Read the stream key' })
  @ApiOkResponse({ type: StreamKeyDto })
  @ApiNotFound('channel')
  async getStreamKey(@ChannelIdParam() channelId: string): Promise<StreamKeyDto> {
    return { streamKey: await this.channels.getStreamKey(channelId) };
  }

  @Post(':channelId/stream-key')
  @HttpCode(200)
  @CHANNEL_ID
  @ApiOperation({
    summary: 'Rotate the stream key',
    description: 'The old key stops working at once.',
  })
  @ApiOkResponse({ type: StreamKeyDto })
  @ApiNotFound('channel')
  @ApiBodyRefusals()
  async rotateStreamKey(@ChannelIdParam() channelId: string): Promise<StreamKeyDto> {
    return { streamKey: await this.channels.rotateStreamKey(channelId) };
  }

  @Post(':channelId/end')
  @HttpCode(200)
  @CHANNEL_ID
  @ApiOperation({ summary: 'End the live session now', description: 'Sends channel_ended.' })
  @ApiOkResponse({ type: ChannelDto })
  @ApiNotFound('channel')
  @ApiBodyRefusals()
  @ApiConflictResponse({
    description: 'The channel is not live or stopped',
    type: ErrorResponseDto,
    example: {
      statusCode: 409,
      message: 'channel "42" is idle, not live or stopped',
      error: 'Conflict',
    },
  })
  end(@ChannelIdParam() channelId: string): Promise<ChannelDto> {
    return this.channels.end(channelId);
  }
}
