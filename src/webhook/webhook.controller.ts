import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiBadRequest,
  ApiBodyTooLarge,
  ApiKeyProtected,
  ApiNotFound,
} from '../common/api-errors.decorator.js';
import { EmptyResponseDto } from '../common/paging.dto.js';
import {
  CreateWebhookDto,
  DeleteWebhookQueryDto,
  ListWebhooksQueryDto,
  UpdateWebhookDto,
} from './dto/webhook-request.dto.js';
import {
  CreatedWebhookDto,
  WebhookDto,
  WebhookPageDto,
  WebhookSecretDto,
} from './dto/webhook-response.dto.js';
import { WebhookIdParam } from './webhook-id.param.js';
import { WebhookService } from './webhook.service.js';

const WEBHOOK_ID = ApiParam({ name: 'webhookId', description: 'Webhook id', example: '123456' });

@ApiTags('webhooks')
@ApiKeyProtected()
@Controller('v1/webhook')
export class WebhookController {
  constructor(private readonly webhooks: WebhookService) {}

  @Post()
  @ApiOperation({
    summary: 'Register a webhook',
    description: 'The answer carries the signing secret, shown this once.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiBadRequest('event has an unknown event "channel_start"')
  @ApiBodyTooLarge()
  create(@Body() body: CreateWebhookDto): Promise<CreatedWebhookDto> {
    return this.webhooks.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List webhooks, oldest first, optionally by event' })
  @ApiOkResponse({ type: WebhookPageDto })
  @ApiBadRequest('length must not be greater than 100')
  list(@Query() query: ListWebhooksQueryDto): Promise<WebhookPageDto> {
    return this.webhooks.list(query);
  }

  @Get(':webhookId')
  @WEBHOOK_ID
  @ApiOperation({ summary: 'Read one webhook' })
  @ApiOkResponse({ type: WebhookDto })
  @ApiNotFound('webhook')
  findOne(@WebhookIdParam() webhookId: string): Promise<WebhookDto> {
    return this.webhooks.findOne(webhookId);
  }

  @Put(':webhookId')
  @WEBHOOK_ID
  @ApiOperation({
    summary: 'Change the URI, the events, the active flag, the rate limit or the headers',
    description:
      'Fields left out stay as they are; at least one must be given. `headers` replaces the whole set.',
  })
  @ApiOkResponse({ type: WebhookDto })
  @ApiBadRequest('body must set at least one of uri, event, active, rateLimit, headers')
  @ApiNotFound('webhook')
  @ApiBodyTooLarge()
  update(@WebhookIdParam() webhookId: string, @Body() body: UpdateWebhookDto): Promise<WebhookDto> {
    return this.webhooks.update(webhookId, body);
  }

  @Delete(':webhookId')
  @WEBHOOK_ID
  @ApiOperation({
    summary: 'Delete a webhook, or take some events off it',
    description:
      'With `event`, only those events are removed; the webhook is deleted when none is left.',
  })
  @ApiOkResponse({ type: EmptyResponseDto, example: {} })
  @ApiBadRequest('event has an unknown event "channel_start"')
  @ApiNotFound('webhook')
  async remove(
    @WebhookIdParam() webhookId: string,
    @Query() query: DeleteWebhookQueryDto,
  ): Promise<EmptyResponseDto> {
    await this.webhooks.remove(webhookId, query.event);
    return {};
  }

  @Post(':webhookId/secret/rotate')
  @HttpCode(200)
  @WEBHOOK_ID
  @ApiOperation({
    summary: 'Rotate the signing secret',
    description:
      'Answers the new secret. The old one keeps signing (both signatures are sent) for WEBHOOK_SECRET_GRACE.',
  })
  @ApiOkResponse({ type: WebhookSecretDto })
  @ApiNotFound('webhook')
  async rotateSecret(@WebhookIdParam() webhookId: string): Promise<WebhookSecretDto> {
    return { secret: await this.webhooks.rotateSecret(webhookId) };
  }
}
