import { Module } from '@nestjs/common';
import { ChannelEventsModule } from '../channel-events/channel-events.module.js';
import { WebhookModule } from '../webhook/webhook.module.js';
import { ChannelTimelineController } from './channel-timeline.controller.js';
import { ChannelTimelineService } from './channel-timeline.service.js';
import { DeliveryLogController } from './delivery-log.controller.js';
import { DeliveryLogRepository } from './delivery-log.repository.js';
import { DeliveryLogService } from './delivery-log.service.js';
import { DeliveryStats } from './delivery-stats.js';
import { WebhookSummaryController } from './webhook-summary.controller.js';
import { WebhookSummaryService } from './webhook-summary.service.js';

/**
 * The operator console's read API: a webhook's delivery log (pages, one delivery with its
 * attempts), the webhooks' summary and the channels' timelines. It reads the tables of the engine
 * (delivery/) and of webhook/ and the events' outbox, and writes nothing: the operator's controls
 * (redeliver, recover, test) are the engine's. The engine never imports it.
 */
@Module({
  imports: [ChannelEventsModule, WebhookModule],
  controllers: [DeliveryLogController, WebhookSummaryController, ChannelTimelineController],
  providers: [
    DeliveryLogRepository,
    DeliveryLogService,
    DeliveryStats,
    WebhookSummaryService,
    ChannelTimelineService,
  ],
})
export class DeliveryLogModule {}
