import {
  Body,
  Delete,
  Get,
  HttpCode,
  Logger,
  type OnApplicationBootstrap,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiBadRequest,
  ApiBodyRefusals,
  ApiKeyProtected,
  ApiNotFound,
} from '../common/api-errors.decorator.js';
import { TakesFormBody } from '../common/form-body.js';
import { EmptyResponseDto } from '../common/paging.dto.js';
import type { AppConfig } from '../config/app-config.js';
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
import { InjectAppConfig } from '../config/app-config.module.js';
import { ServiceController } from '../common/service-controller.decorator.js';

const WEBHOOK_ID = ApiParam({ name: 'webhookId', description: 'Webhook id', example: '123456' });

@ApiTags('webhooks')
@ApiKeyProtected()
@ServiceController('v1/webhook')
export class WebhookController implements OnApplicationBootstrap {
  /** COMPAT_GET_DELETE: GET /v1/webhook/{webhookId} is the original API document's delete. */
  private readonly getDeletes: boolean;

  constructor(
    private readonly webhooks: WebhookService,
    @InjectAppConfig() config: AppConfig,
  ) {
    this.getDeletes = config.compatGetDelete;
  }

  onApplicationBootstrap(): void {
    if (!this.getDeletes) return;
    new Logger('Webhooks').warn(
      'COMPAT_GET_DELETE is on: GET /v1/webhook/{webhookId} deletes the webhook (or the events in ?event=) as the original API document says; one webhook can be read only through the list',
    );
  }

  @Post()
  @TakesFormBody()
  @ApiOperation({
    summary: 'Register a webhook',
    description:
      'The answer carries the signing secret, shown this once. The body is JSON or a form (`application/x-www-form-urlencoded`) with the same fields.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiBadRequest('event has an unknown event "channel_start"')
  @ApiBodyRefusals()
  create(@Body() body: CreateWebhookDto): Promise<CreatedWebhookDto> {
    return this.webhooks.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'List webhooks, oldest first, optionally by event and by channel' })
  @ApiOkResponse({ type: WebhookPageDto })
  @ApiBadRequest('length must not be greater than 100')
  list(@Query() query: ListWebhooksQueryDto): Promise<WebhookPageDto> {
    return this.webhooks.list(query);
  }

  @Get(':webhookId')
  @WEBHOOK_ID
  @ApiOperation({
    summary: 'Read one webhook',
    description:
      "With COMPAT_GET_DELETE=true this is the original API document's delete instead (see the " +
      'document a service in that mode serves).',
  })
  @ApiQuery({
    name: 'event',
    required: false,
    type: String,
    description:
      'With COMPAT_GET_DELETE=true, the events (comma-separated) to take off, as for DELETE; otherwise unused',
  })
  // with COMPAT_GET_DELETE=true the served document describes this operation as the delete it is
  @ApiOkResponse({ type: WebhookDto })
  @ApiBadRequest('event has an unknown event "channel_start"')
  @ApiNotFound('webhook')
  findOne(
    @WebhookIdParam() webhookId: string,
    @Query() query: DeleteWebhookQueryDto,
  ): Promise<WebhookDto | EmptyResponseDto> {
    if (this.getDeletes) return this.remove(webhookId, query);
    return this.webhooks.findOne(webhookId);
  }

  @Put(':webhookId')
  @WEBHOOK_ID
  @TakesFormBody()
  @ApiOperation({
    summary:
      'Change the URI, the events, the active flag, the rate limit, the headers or the channels',
    description:
      'Fields left out stay as they are; at least one must be given. `headers` replaces the whole set. ' +
      'The body is JSON or a form (`application/x-www-form-urlencoded`) with the same fields.',
  })
  @ApiOkResponse({ type: WebhookDto })
  @ApiBadRequest('body must set at least one of uri, event, active, rateLimit, headers, channels')
  @ApiNotFound('webhook')
  @ApiBodyRefusals()
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
  @ApiBodyRefusals()
  async rotateSecret(@WebhookIdParam() webhookId: string): Promise<WebhookSecretDto> {
    return { secret: await this.webhooks.rotateSecret(webhookId) };
  }
}
