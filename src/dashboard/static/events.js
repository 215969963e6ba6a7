// @ts-check
// The event catalog: every event a webhook can get, what it means, an example body and the JSON
// Schema of its body (the service's own, as GET /v1/event-types answers it).

import { eventTypes } from './api.js';
import { el } from './dom.js';

/** @typedef {import('../api-types.js').EventType} EventType */
/** @typedef {import('./state.js').Render} Render */

/** @param {EventType} type */
function eventCard(type) {
  return el(
    'article',
    { className: 'event-type', testid: 'event-type', data: { event: type.name } },
    el('h3', {}, el('code', {}, type.name)),
    el('p', { testid: 'event-description' }, type.description),
    el(
      'details',
      { attrs: { open: '' } },
      el('summary', {}, 'Example'),
      el(
        'pre',
        { className: 'payload', testid: 'event-example' },
        JSON.stringify(type.example, null, 2),
      ),
    ),
    el(
      'details',
      {},
      el('summary', {}, 'JSON Schema of the body'),
      el(
        'pre',
        { className: 'payload', testid: 'event-schema' },
        JSON.stringify(type.schema, null, 2),
      ),
    ),
  );
}

/** @type {Render} */
export async function renderEvents(view, _route, _go, isCurrent) {
  const catalog = await eventTypes();
  if (!isCurrent()) return;
  view.replaceChildren(
    el('h2', {}, 'Events'),
    el(
      'p',
      { className: 'muted' },
      'What a webhook can subscribe to and what each callback carries. A test from a webhook\'s page sends a ping; POST /v1/webhook/{id}/test with {"event": …} sends any of these examples.',
    ),
    el('div', { className: 'event-types', testid: 'event-types' }, ...catalog.data.map(eventCard)),
  );
}
