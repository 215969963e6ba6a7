import {
  ALL_EVENTS,
  type EventSubscription,
  isOperationalEventName,
  isSubscribableEventName,
} from './channel-event-name.js';

export type EventListResult =
  { ok: true; events: EventSubscription[] } | { ok: false; message: string };

/**
 * Reads an event list as the spec allows it: `"all"`, `"a,b"`, or `["a", "b"]`.
 * Blanks around names are trimmed, repeats dropped, first-appearance order kept;
 * `all` with names is just `all`; an unknown or empty name is an error naming it.
 */
export function parseEventList(input: unknown, field = 'event'): EventListResult {
  let parts: unknown[];
  if (typeof input === 'string') parts = input.split(',');
  else if (Array.isArray(input))
    parts = (input as unknown[]).flatMap((item) =>
      typeof item === 'string' ? item.split(',') : [item],
    );
  else
    return {
      ok: false,
      message: `${field} must be "all", a comma-separated string or an array of event names`,
    };

  if (parts.length === 0) return { ok: false, message: `${field} must name at least one event` };
  const events: EventSubscription[] = [];
  for (const part of parts) {
    if (typeof part !== 'string') return { ok: false, message: `${field} must hold only strings` };
    const name = part.trim();
    if (name === '') return { ok: false, message: `${field} has an empty event name` };
    if (name !== ALL_EVENTS && !isSubscribableEventName(name)) {
      return { ok: false, message: `${field} has an unknown event "${truncate(name)}"` };
    }
    if (!events.includes(name)) events.push(name);
  }
  // `all` stands for the channel events: operational ones named beside it are kept
  if (events.includes(ALL_EVENTS)) {
    return { ok: true, events: [ALL_EVENTS, ...events.filter(isOperationalEventName)] };
  }
  return { ok: true, events };
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
