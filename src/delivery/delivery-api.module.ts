import { Module } from '@nestjs/common';
import { WebhookModule } from '../webhook/webhook.module.js';
import { DeliveryController } from './delivery.controller.js';
import { DeliveryModule } from './delivery.module.js';
import { DeliveryService } from './delivery.service.js';

/**
 * The operator's controls of deliveries (redeliver, recover, test), in processes that serve the
 * API. They write their rows and wake this process's worker, if it has one.
 */
@Module({
  imports: [DeliveryModule, WebhookModule],
  controllers: [DeliveryController],
  providers: [DeliveryService],
})
export class DeliveryApiModule {}
