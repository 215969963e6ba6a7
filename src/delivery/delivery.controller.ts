import { Body, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConflictResponse,
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
import { ErrorResponseDto } from '../common/paging.dto.js';
import { WebhookIdParam } from '../webhook/webhook-id.param.js';
import {
  DeliveryDto,
  RecoverDeliveriesDto,
  RecoveredDto,
  TestWebhookDto,
} from './dto/delivery.dto.js';
import { DELIVERY_ID, DeliveryIdParam } from './delivery-id.param.js';
import { DeliveryService } from './delivery.service.js';
import { ServiceController } from '../common/service-controller.decorator.js';

const WEBHOOK_ID = ApiParam({ name: 'webhookId', description: 'Webhook id', example: '123456' });

/**
 * The operator's controls of a webhook's deliveries: redeliver, recover, test. The log itself is
 * read on the same path by the console (delivery-log/).
 */
@ApiTags('deliveries')
@ApiKeyProtected()
@ServiceController('v1/webhook/:webhookId')
export class DeliveryController {
  constructor(private readonly deliveries: DeliveryService) {}

  @Post('deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @WEBHOOK_ID
  @DELIVERY_ID
  @ApiOperation({
    summary: 'Send the same message again',
    description:
      'Same webhook-id, one more attempt: now, or, when another delivery of its channel is open ' +
      '(being sent or retried), right after that one finishes, so the per-channel order holds.',
  })
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiNotFound('delivery')
  @ApiBodyRefusals()
  @ApiConflictResponse({
    description: 'The delivery is waiting behind an earlier one of its channel',
    type: ErrorResponseDto,
    example: {
      statusCode: 409,
      message: 'delivery is waiting for an earlier delivery of its channel to finish',
      error: 'Conflict',
    },
  })
  redeliver(
    @WebhookIdParam() webhookId: string,
    @DeliveryIdParam() deliveryId: string,
  ): Promise<DeliveryDto> {
    return this.deliveries.redeliver(webhookId, deliveryId);
  }

  @Post('recover')
  @HttpCode(202)
  @WEBHOOK_ID
  @ApiOperation({
    summary: "Queue a webhook's failed deliveries of a time window again",
    description:
      'Each failed delivery created in [since, until) gets one more attempt, same webhook-id, per ' +
      'channel in its original order and behind anything still open on that channel.',
  })
  @ApiAcceptedResponse({ type: RecoveredDto })
  @ApiBadRequest('since must be a valid ISO 8601 date string')
  @ApiNotFound('webhook')
  @ApiBodyRefusals()
  recover(
    @WebhookIdParam() webhookId: string,
    @Body() body: RecoverDeliveriesDto,
  ): Promise<RecoveredDto> {
    return this.deliveries.recover(
      webhookId,
      new Date(body.since),
      body.until === undefined ? undefined : new Date(body.until),
    );
  }

  @Post('test')
  @HttpCode(202)
  @WEBHOOK_ID
  @ApiOperation({
    summary: 'Send a test ping, or an example of an event',
    description:
      'Sends {"event":"ping","eventTime":…,"webhookId":…}, or with `{"event": NAME}` that event\'s example from GET /v1/event-types (eventTime now), ' +
      'signed and logged like any delivery, in one attempt, with the header `webhook-test: true`. The body is optional.',
  })
  @ApiBody({ type: TestWebhookDto, required: false })
  @ApiAcceptedResponse({ type: DeliveryDto })
  @ApiBadRequest('event has an unknown event "channel_start"')
  @ApiNotFound('webhook')
  @ApiBodyRefusals()
  test(@WebhookIdParam() webhookId: string, @Body() body: TestWebhookDto): Promise<DeliveryDto> {
    return this.deliveries.test(webhookId, body?.event);
  }
}
