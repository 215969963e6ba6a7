import { Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiKeyProtected } from '../common/api-errors.decorator.js';
import { EVENT_TYPE_NAMES, type EventTypeName } from '../common/event-types.js';
import { EventCatalog } from './event-catalog.js';
import { ServiceController } from '../common/service-controller.decorator.js';

export class EventTypeDto {
  @ApiProperty({ enum: EVENT_TYPE_NAMES, example: 'channel_live' })
  name: EventTypeName;

  @ApiProperty({
    example:
      'The channel went live: a publisher started (or came back within the reconnect window)',
  })
  description: string;

  @ApiProperty({
    description:
      "A JSON Schema (2020-12) of the callback's body: the one the OpenAPI document's `webhooks` section gives, self-contained",
    type: 'object',
    additionalProperties: true,
  })
  schema: Record<string, unknown>;

  @ApiProperty({
    description: 'An example body (what POST /v1/webhook/{webhookId}/test sends for this event)',
    type: 'object',
    additionalProperties: true,
  })
  example: Record<string, unknown>;
}

export class EventTypeListDto {
  @ApiProperty({ type: [EventTypeDto] })
  data: EventTypeDto[];
}

@ApiTags('webhooks')
@ApiKeyProtected()
@ServiceController('v1/event-types')
export class EventTypesController {
  constructor(private readonly catalog: EventCatalog) {}

  @Get()
  @ApiOperation({
    summary: 'The event catalog',
    description:
      'Every event a webhook can get: its name, what it means, the JSON Schema of its body and an example.',
  })
  @ApiOkResponse({ type: EventTypeListDto })
  list(): EventTypeListDto {
    return { data: this.catalog.all() };
  }
}
