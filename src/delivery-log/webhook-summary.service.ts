import { Injectable } from '@nestjs/common';
import type { WebhookWithEvents } from '../webhook/webhook.repository.js';
import { WebhookRepository } from '../webhook/webhook.repository.js';
import { toWebhookDto } from '../webhook/webhook.service.js';
import { shownReason, summaryState } from '../webhook/webhook-state.js';
import { DeliveryStats, type LastAttempt, type WindowStats } from './delivery-stats.js';
import type {
  SummaryWindow,
  WebhookState,
  WebhookSummaryDto,
  WebhookSummaryPageDto,
} from './dto/webhook-summary.dto.js';
import { percentile } from './latency-histogram.js';

/** At most this many webhooks in one summary. */
export const SUMMARY_MAX_WEBHOOKS = 1_000;
const BUCKETS = 24;
const WINDOW_MS: Record<SummaryWindow, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
};
const STATE_ORDER: Record<WebhookState, number> = {
  disabled: 0,
  failing: 1,
  paused: 2,
  healthy: 3,
};

/**
 * The overview of every webhook in one answer: state, last attempt, open deliveries and the
 * window's attempt figures, from a fixed number of queries whatever the number of webhooks.
 */
@Injectable()
export class WebhookSummaryService {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly stats: DeliveryStats,
  ) {}

  async summary(window: SummaryWindow): Promise<WebhookSummaryPageDto> {
    const now = new Date();
    const since = new Date(now.getTime() - WINDOW_MS[window]);
    const width = WINDOW_MS[window] / BUCKETS;
    const starts = Array.from({ length: BUCKETS }, (_, i) => new Date(since.getTime() + i * width));
    const found = await this.webhooks.mostUrgent(SUMMARY_MAX_WEBHOOKS);
    const [last, open, inWindow] = await Promise.all([
      this.stats.lastAttempts(found.map(({ webhook }) => webhook.id)),
      this.stats.open(),
      this.stats.window(since, starts),
    ]);
    const webhooks = found.map((entry) => {
      const { id } = entry.webhook;
      return summarize(entry, last.get(id), open.get(id), inWindow.get(id), starts);
    });
    webhooks.sort(
      (a, b) =>
        STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
        (a.state === 'failing' ? compareTimes(a.failingSince, b.failingSince) : 0) ||
        compareIds(a.id, b.id),
    );
    return { window, generatedAt: now.toISOString(), webhooks };
  }
}

function summarize(
  { webhook, events }: WebhookWithEvents,
  last: LastAttempt | undefined,
  open: { pending: number; nextAt: Date | null } | undefined,
  inWindow: WindowStats | undefined,
  starts: Date[],
): WebhookSummaryDto {
  const lastFailed = last !== undefined && last.error !== null;
  const state: WebhookState = summaryState(webhook.state, lastFailed);
  const failingSince =
    state === 'failing' || state === 'disabled'
      ? (webhook.failingSince ?? (lastFailed ? last.at : null))
      : null;
  const buckets = starts.map((start, index) => {
    const counted = inWindow?.buckets.get(index);
    return {
      start: start.toISOString(),
      attempts: counted?.attempts ?? 0,
      failed: counted ? counted.attempts - counted.succeeded : 0,
    };
  });
  const attempts = buckets.reduce((sum, bucket) => sum + bucket.attempts, 0);
  const failed = buckets.reduce((sum, bucket) => sum + bucket.failed, 0);
  const latency = inWindow?.latency ?? [];
  return {
    ...toWebhookDto(webhook, events),
    state,
    failingSince: failingSince?.toISOString() ?? null,
    lastError: lastFailed ? last.error : null,
    lastStatusCode: last?.statusCode ?? null,
    lastAttemptAt: last?.at.toISOString() ?? null,
    nextRetryAt: open?.nextAt?.toISOString() ?? null,
    disabledReason: shownReason(webhook.state, webhook.disabledReason),
    pending: open?.pending ?? 0,
    attempts,
    succeeded: attempts - failed,
    successRate: attempts === 0 ? null : (attempts - failed) / attempts,
    latencyP50Ms: percentile(latency, 0.5),
    latencyP95Ms: percentile(latency, 0.95),
    buckets,
  };
}

/** Earlier first; a missing time last. */
function compareTimes(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
