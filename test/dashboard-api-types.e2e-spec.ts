import { describe, expectTypeOf, it } from 'vitest';
import type { ChannelDto, ChannelPageDto } from '../src/channel/dto/channel-response.dto.js';
import type { ErrorResponseDto } from '../src/common/paging.dto.js';
import type * as Dashboard from '../src/dashboard/api-types.js';
import type { DeliveryDto, RecoveredDto } from '../src/delivery/dto/delivery.dto.js';
import type { ChannelTimelineDto } from '../src/delivery-log/dto/channel-timeline.dto.js';
import type {
  DeliveryDetailDto,
  DeliveryPageDto,
} from '../src/delivery-log/dto/delivery-log.dto.js';
import type { WebhookSummaryPageDto } from '../src/delivery-log/dto/webhook-summary.dto.js';
import type { EventTypeListDto } from '../src/event-types/event-types.controller.js';
import type { CreateWebhookDto, UpdateWebhookDto } from '../src/webhook/dto/webhook-request.dto.js';
import type {
  CreatedWebhookDto,
  WebhookDto,
  WebhookSecretDto,
} from '../src/webhook/dto/webhook-response.dto.js';

/**
 * The dashboard's scripts are typed against src/dashboard/api-types.d.ts, written out by hand
 * (the dashboard may not import the other folders): here it is held to the DTOs the controllers
 * answer with and take. The check is the type-check (`npm run typecheck`); at run time these
 * assertions do nothing.
 */
describe("the dashboard's API types", () => {
  it('are the response DTOs', () => {
    expectTypeOf<Dashboard.Webhook>().toEqualTypeOf<WebhookDto>();
    expectTypeOf<Dashboard.CreatedWebhook>().toEqualTypeOf<CreatedWebhookDto>();
    expectTypeOf<Dashboard.WebhookSecret>().toEqualTypeOf<WebhookSecretDto>();
    expectTypeOf<Dashboard.WebhookSummaryPage>().toEqualTypeOf<WebhookSummaryPageDto>();
    expectTypeOf<Dashboard.Delivery>().toEqualTypeOf<DeliveryDto>();
    expectTypeOf<Dashboard.DeliveryDetail>().toEqualTypeOf<DeliveryDetailDto>();
    expectTypeOf<Dashboard.DeliveryPage>().toEqualTypeOf<DeliveryPageDto>();
    expectTypeOf<Dashboard.Recovered>().toEqualTypeOf<RecoveredDto>();
    expectTypeOf<Dashboard.Channel>().toEqualTypeOf<ChannelDto>();
    expectTypeOf<Dashboard.ChannelPage>().toEqualTypeOf<ChannelPageDto>();
    expectTypeOf<Dashboard.ChannelTimeline>().toEqualTypeOf<ChannelTimelineDto>();
    expectTypeOf<Dashboard.ErrorResponse>().toEqualTypeOf<ErrorResponseDto>();
    expectTypeOf<Dashboard.EventTypeList>().toEqualTypeOf<EventTypeListDto>();
  });

  it('are the request DTOs', () => {
    expectTypeOf<Dashboard.CreateWebhookBody>().toEqualTypeOf<CreateWebhookDto>();
    expectTypeOf<Dashboard.UpdateWebhookBody>().toEqualTypeOf<UpdateWebhookDto>();
  });
});
