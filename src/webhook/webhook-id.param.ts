import { Param } from '@nestjs/common';
import { ResourceIdPipe } from '../common/resource-id.pipe.js';

/** The `webhookId` of a route's path; an id that is not one is a 404. */
export const WebhookIdParam = (): ParameterDecorator =>
  Param('webhookId', new ResourceIdPipe('webhook'));
