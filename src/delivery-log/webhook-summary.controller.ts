import { Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBadRequest, ApiKeyProtected } from '../common/api-errors.decorator.js';
import { WebhookSummaryPageDto, WebhookSummaryQueryDto } from './dto/webhook-summary.dto.js';
import { WebhookSummaryService } from './webhook-summary.service.js';
import { ServiceController } from '../common/service-controller.decorator.js';

@ApiTags('webhooks')
@ApiKeyProtected()
@ServiceController('v1/webhook-summary')
export class WebhookSummaryController {
  constructor(private readonly summaries: WebhookSummaryService) {}

  @Get()
  @ApiOperation({
    summary: "Every webhook's health in one answer",
    description:
      'Each webhook as GET /v1/webhook/{webhookId} shows it, with its state (healthy, failing, ' +
      'paused, disabled), its most recent attempt, its open deliveries and the attempts of the ' +
      'window (1h, 24h or 7d up to now): counts, success rate, latency percentiles and 24 ' +
      'buckets. The cost is a fixed number of grouped queries, whatever the number of webhooks; ' +
      'the percentiles are estimated from a histogram of durations counted by the database.',
  })
  @ApiOkResponse({ type: WebhookSummaryPageDto })
  @ApiBadRequest('window must be one of the following values: 1h, 24h, 7d')
  summary(@Query() query: WebhookSummaryQueryDto): Promise<WebhookSummaryPageDto> {
    return this.summaries.summary(query.window);
  }
}
