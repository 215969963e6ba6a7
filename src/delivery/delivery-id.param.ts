import { Param } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { ResourceIdPipe } from '../common/resource-id.pipe.js';

/** The `deliveryId` of a route's path; an id that is not one is a 404. */
export const DeliveryIdParam = (): ParameterDecorator =>
  Param('deliveryId', new ResourceIdPipe('delivery'));

/** How the document describes the `deliveryId` of a route's path. */
export const DELIVERY_ID = ApiParam({
  name: 'deliveryId',
  description: 'Delivery id',
  example: '981',
});
