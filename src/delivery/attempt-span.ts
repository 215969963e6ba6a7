import { type Span, SpanKind } from '@opentelemetry/api';
import { tracing } from '../tracing/tracing.js';
import type { ClaimedDelivery } from './delivery.queue.js';
import type { AttemptResult, DeliverySender, Message } from './delivery.sender.js';

/**
 * An attempt's span (tracing on): in the trace of the event it delivers (a child of its
 * transition's span, read back with the delivery however late and wherever it runs), or a trace of
 * its own for a delivery of no event (a test).
 */
function attemptSpan(delivery: ClaimedDelivery): Span {
  return tracing.start(
    'delivery.attempt',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'channel_webhooks.webhook_id': delivery.webhookId,
        'channel_webhooks.event': delivery.event,
        'channel_webhooks.delivery_id': delivery.id,
        'channel_webhooks.message_id': delivery.messageId,
        'channel_webhooks.attempt': delivery.attempts + 1,
      },
    },
    tracing.contextOf(delivery.traceParent),
  );
}

/** Ends an attempt's span with what came of it: the answer's status, or why none came. */
function endAttemptSpan(span: Span, result: AttemptResult): void {
  span.setAttribute('channel_webhooks.duration_ms', result.durationMs);
  if (result.statusCode !== null) span.setAttribute('http.response.status_code', result.statusCode);
  const answered =
    result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const failed = result.error ?? (answered ? undefined : `HTTP ${String(result.statusCode)}`);
  tracing.end(span, failed === undefined ? undefined : new Error(failed));
}

/** Sends one attempt; with tracing on, in a span of its own, whose traceparent goes along. */
export async function sendTraced(
  sender: DeliverySender,
  message: Message,
  delivery: ClaimedDelivery,
): Promise<AttemptResult> {
  if (!tracing.on) return sender.send(message);
  const span = attemptSpan(delivery);
  const result = await sender.send({ ...message, traceParent: tracing.traceParent(span) });
  endAttemptSpan(span, result);
  return result;
}
