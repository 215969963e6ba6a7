import { Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiBadRequest, ApiKeyProtected, ApiNotFound } from '../common/api-errors.decorator.js';
import { DELIVERY_ID, DeliveryIdParam } from '../delivery/delivery-id.param.js';
import { WebhookIdParam } from '../webhook/webhook-id.param.js';
import {
  DeliveryDetailDto,
  DeliveryPageDto,
  ListDeliveriesQueryDto,
} from './dto/delivery-log.dto.js';
import { DeliveryLogService } from './delivery-log.service.js';
import { ServiceController } from '../common/service-controller.decorator.js';

const WEBHOOK_ID = ApiParam({ name: 'webhookId', description: 'Webhook id', example: '123456' });

/**
 * The reads of a webhook's delivery log, on the same path as the operator's controls (redeliver,
 * recover, test: the engine's DeliveryController). The operation ids are the ones the document
 * has always given these routes, so that generated clients keep their names.
 */
@ApiTags('deliveries')
@ApiKeyProtected()
@ServiceController('v1/webhook/:webhookId')
export class DeliveryLogController {
  constructor(private readonly deliveries: DeliveryLogService) {}

  @Get('deliveries')
  @WEBHOOK_ID
  @ApiOperation({
    summary: "List a webhook's deliveries, newest first",
    operationId: 'DeliveryController_list',
  })
  @ApiOkResponse({ type: DeliveryPageDto })
  @ApiBadRequest('status must be one of the following values: pending, succeeded, failed')
  @ApiNotFound('webhook')
  list(
    @WebhookIdParam() webhookId: string,
    @Query() query: ListDeliveriesQueryDto,
  ): Promise<DeliveryPageDto> {
    return this.deliveries.list(webhookId, query);
  }

  @Get('deliveries/:deliveryId')
  @WEBHOOK_ID
  @DELIVERY_ID
  @ApiOperation({
    summary: 'Read one delivery with its attempts and payload',
    operationId: 'DeliveryController_findOne',
  })
  @ApiOkResponse({ type: DeliveryDetailDto })
  @ApiNotFound('delivery')
  findOne(
    @WebhookIdParam() webhookId: string,
    @DeliveryIdParam() deliveryId: string,
  ): Promise<DeliveryDetailDto> {
    return this.deliveries.findOne(webhookId, deliveryId);
  }
}
