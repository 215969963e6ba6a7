import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { WebhookDto } from '../../webhook/dto/webhook-response.dto.js';

export const SUMMARY_WINDOWS = ['1h', '24h', '7d'] as const;
export type SummaryWindow = (typeof SUMMARY_WINDOWS)[number];

export const WEBHOOK_STATES = ['healthy', 'failing', 'paused', 'disabled'] as const;
export type WebhookState = (typeof WEBHOOK_STATES)[number];

export class WebhookSummaryQueryDto {
  @ApiPropertyOptional({
    enum: SUMMARY_WINDOWS,
    default: '24h',
    description: 'The window the attempt figures and buckets cover, up to now',
  })
  @IsOptional()
  @IsIn(SUMMARY_WINDOWS)
  window: SummaryWindow = '24h';
}

export class SummaryBucketDto {
  @ApiProperty({ example: '2026-12-01T09:00:00.000Z' })
  start: string;

  @ApiProperty({ type: 'integer', example: 3 })
  attempts: number;

  @ApiProperty({ type: 'integer', description: 'Attempts that did not succeed', example: 1 })
  failed: number;
}

export class WebhookSummaryDto extends WebhookDto {
  @ApiProperty({
    enum: WEBHOOK_STATES,
    description:
      '`disabled`: made inactive by the service (disabledReason says why); `paused`: made ' +
      'inactive by PUT; `failing`: active, and its most recent attempt (test pings included) ' +
      'failed; `healthy` otherwise',
    example: 'failing',
  })
  state: WebhookState;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'When the current run of failures began: from the first failed delivery after the last ' +
      'success (or, when only test pings failed, the last attempt); null unless failing or disabled',
    example: '2026-12-01T08:12:00.000Z',
  })
  failingSince: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The error of the most recent attempt, if it failed',
    example: 'HTTP 500',
  })
  lastError: string | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'The status code of the most recent attempt; null without an answer',
    example: 500,
  })
  lastStatusCode: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'When the most recent attempt was made (any time, not only in the window)',
    example: '2026-12-01T09:58:00.000Z',
  })
  lastAttemptAt: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The earliest due time of its open deliveries; null when none is scheduled',
    example: '2026-12-01T10:02:00.000Z',
  })
  nextRetryAt: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Why the service made it inactive (a 410 Gone answer, or failing for WEBHOOK_DISABLE_AFTER); null otherwise',
    example: null,
  })
  disabledReason: string | null;

  @ApiProperty({
    type: 'integer',
    description:
      'Open deliveries: queued, retrying, waiting behind an earlier one, or held while paused',
    example: 3,
  })
  pending: number;

  @ApiProperty({ type: 'integer', description: 'Attempts in the window', example: 12 })
  attempts: number;

  @ApiProperty({
    type: 'integer',
    description: 'Attempts in the window that got a 2xx',
    example: 9,
  })
  succeeded: number;

  @ApiProperty({
    type: 'number',
    nullable: true,
    description: 'succeeded / attempts; null without attempts in the window',
    example: 0.75,
  })
  successRate: number | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description:
      'Median duration of the attempts in the window, in ms; null without attempts. Estimated ' +
      'from a histogram of durations (a few dozen buckets, interpolated between the shortest and ' +
      'longest duration of the bucket that holds it): exact when that bucket holds one value',
    example: 35,
  })
  latencyP50Ms: number | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: '95th percentile of the durations, in ms, estimated as latencyP50Ms is',
    example: 120,
  })
  latencyP95Ms: number | null;

  @ApiProperty({
    type: [SummaryBucketDto],
    description: 'The window in 24 equal buckets, oldest first',
  })
  buckets: SummaryBucketDto[];
}

export class WebhookSummaryPageDto {
  @ApiProperty({ enum: SUMMARY_WINDOWS, example: '24h' })
  window: SummaryWindow;

  @ApiProperty({ example: '2026-12-01T10:00:00.000Z' })
  generatedAt: string;

  @ApiProperty({
    type: [WebhookSummaryDto],
    description:
      'Disabled first, then failing (longest failing first), then paused, then healthy; each ' +
      'group by id. At most 1,000: inactive and failing webhooks are chosen first.',
  })
  webhooks: WebhookSummaryDto[];
}
