import type { Attributes, Context, Span } from '@opentelemetry/api';
import { tracing } from '../tracing/tracing.js';
import type { Changes } from './channel-changes.js';

/**
 * A span for a transition (the state change and its outbox rows), a child of `parent`; the events
 * `changes.events[from, to)` it recorded carry it, so that their fan-out and attempts join its
 * trace. Only with tracing on.
 */
export function transitionSpan(
  changes: Changes,
  from: number,
  to: number,
  parent: Context | undefined,
  attributes: Attributes,
): Span {
  const events = changes.events.slice(from, to);
  const span = tracing.start(
    'channel.transition',
    { attributes: { ...attributes, 'channel_webhooks.events': events.map((event) => event.name) } },
    parent,
  );
  const traceParent = tracing.traceParent(span);
  for (const event of events) event.traceParent = traceParent;
  return span;
}

/**
 * With tracing on, a span per hook of a batch, a child of that hook's caller (its request), whose
 * events (`eventCount` of them, in the batch's order) carry it.
 */
export function hookSpans(
  changes: Changes,
  hooks: { kind: string; context?: Context }[],
  outcomes: { outcome: string; channelId?: string; eventCount: number }[],
): Span[] {
  if (!tracing.on) return [];
  let first = 0;
  return outcomes.map(({ outcome, channelId, eventCount }, index) =>
    transitionSpan(changes, first, (first += eventCount), hooks[index].context, {
      'channel_webhooks.hook': hooks[index].kind,
      'channel_webhooks.outcome': outcome,
      ...(channelId === undefined ? {} : { 'channel_webhooks.channel_id': channelId }),
    }),
  );
}
