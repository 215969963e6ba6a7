// @ts-check
// The overview: every webhook's health over a chosen window, from one call to the summary route.
// Disabled and failing webhooks come first (the service sorts them so).

import { webhookSummary } from './api.js';
import { createWebhookAction } from './actions.js';
import { attemptChart } from './charts.js';
import { button, el, errorBox, link, ms, percent, show, time } from './dom.js';
import { state, WINDOWS } from './state.js';

/** @typedef {import('../api-types.js').SummaryWindow} SummaryWindow */
/** @typedef {import('../api-types.js').WebhookSummary} WebhookSummary */
/** @typedef {import('./dom.js').Children} Children */
/** @typedef {import('./state.js').Render} Render */
/** @typedef {import('./state.js').Route} Route */

/** @type {Record<string, string>} */
const WINDOW_WORDS = { '1h': 'hour', '24h': '24 hours', '7d': '7 days' };

/**
 * Loads the summary of `window` into the shared state.
 * @param {SummaryWindow} window
 */
export async function loadSummary(window) {
  state.summary = await webhookSummary(window);
  state.summaryStale = false;
  return state.summary;
}

/**
 * The line under a webhook's state badge: since when, why, and what happens next.
 * @param {WebhookSummary} webhook
 */
export function stateDetail(webhook) {
  /** @type {Children[]} */
  const parts = [];
  if (webhook.state === 'failing')
    parts.push(['Failing since ', time(webhook.failingSince, { relative: true })]);
  if (webhook.state === 'disabled')
    parts.push([
      'Disabled by the service',
      webhook.failingSince ? [' (failing since ', time(webhook.failingSince), ')'] : null,
      ': ',
      el('span', { testid: 'disabled-reason' }, show(webhook.disabledReason)),
    ]);
  if (webhook.state === 'paused') parts.push(['Paused: no callbacks are sent until it is resumed']);
  if (webhook.state === 'healthy')
    parts.push(
      webhook.lastAttemptAt
        ? ['Last attempt succeeded ', time(webhook.lastAttemptAt, { relative: true })]
        : ['No attempt yet'],
    );
  if (webhook.lastError)
    parts.push([
      'last error ',
      el('span', { className: 'error-text', testid: 'last-error' }, webhook.lastError),
      webhook.lastAttemptAt ? [' at ', time(webhook.lastAttemptAt)] : null,
    ]);
  if (webhook.nextRetryAt)
    parts.push([
      'next retry ',
      time(webhook.nextRetryAt, { relative: true, testid: 'next-retry' }),
    ]);
  return el(
    'p',
    { className: 'state-detail', testid: 'state-detail' },
    parts.flatMap((part, index) => (index === 0 ? part : [' · ', ...part])),
  );
}

/** @param {WebhookSummary} webhook */
export function stateBadge(webhook) {
  return el(
    'span',
    { className: `badge state-${webhook.state}`, testid: 'webhook-state' },
    webhook.state,
  );
}

/**
 * @param {string} label
 * @param {string} value
 * @param {string} [testid]
 */
function figure(label, value, testid) {
  return el(
    'div',
    { className: 'figure' },
    el('span', { className: 'figure-label' }, label),
    el('span', { className: 'figure-value', testid }, value),
  );
}

/**
 * Success rate, latency and pending count over the window, never cut off.
 * @param {WebhookSummary} webhook
 */
export function figures(webhook) {
  return el(
    'div',
    { className: 'figures' },
    figure('Pending', String(webhook.pending), 'pending'),
    figure(
      'Success',
      webhook.successRate === null
        ? 'no attempts'
        : `${percent(webhook.successRate)} (${webhook.succeeded}/${webhook.attempts})`,
      'success-rate',
    ),
    figure(
      'Latency',
      webhook.latencyP50Ms === null
        ? '—'
        : `p50 ${ms(webhook.latencyP50Ms)} · p95 ${ms(webhook.latencyP95Ms)}`,
      'latency',
    ),
  );
}

/**
 * @param {WebhookSummary} webhook
 * @param {SummaryWindow} window
 */
function webhookCard(webhook, window) {
  const events = webhook.event.join(', ');
  const headers = Object.keys(webhook.headers ?? {});
  return el(
    'li',
    {
      className: `webhook state-${webhook.state}`,
      testid: 'webhook-row',
      data: { webhookId: webhook.id, state: webhook.state },
    },
    el(
      'div',
      { className: 'webhook-head' },
      stateBadge(webhook),
      link(`#/webhooks/${webhook.id}`, webhook.uri, {
        className: 'uri',
        testid: 'webhook-open',
        title: webhook.uri,
      }),
    ),
    stateDetail(webhook),
    el(
      'div',
      { className: 'webhook-stats' },
      figures(webhook),
      el(
        'figure',
        { className: 'chart-box' },
        attemptChart(webhook.buckets, WINDOW_WORDS[window] ?? window),
      ),
    ),
    el(
      'p',
      { className: 'muted small' },
      `#${webhook.id} · events: ${events}`,
      webhook.channels ? ` · channels: ${webhook.channels.join(', ')}` : '',
      webhook.rateLimit ? ` · at most ${webhook.rateLimit}/s` : '',
      headers.length ? ` · headers: ${headers.join(', ')}` : '',
    ),
  );
}

/**
 * @param {SummaryWindow} window
 * @param {(window: string) => void} onChange
 */
function windowPicker(window, onChange) {
  const select = el(
    'select',
    { testid: 'window', attrs: { id: 'window-select' } },
    WINDOWS.map((value) =>
      el('option', { attrs: { value, selected: value === window } }, `last ${WINDOW_WORDS[value]}`),
    ),
  );
  select.addEventListener('change', () => onChange(select.value));
  return el(
    'div',
    { className: 'inline-field' },
    el('label', { attrs: { for: 'window-select' } }, 'Window'),
    select,
  );
}

/**
 * Renders the overview into `view`; `go(hash)` navigates.
 * @type {Render}
 */
export async function renderOverview(view, route, go, isCurrent) {
  const asked = /** @type {SummaryWindow} */ (route.params.get('window'));
  const window = WINDOWS.includes(asked) ? asked : '24h';
  const list = el('ul', { className: 'webhook-list', testid: 'webhook-list' });
  const status = el('p', { className: 'muted small', testid: 'summary-status' }, 'Loading…');
  const create = button(
    'New webhook',
    async () => {
      const created = await createWebhookAction();
      if (created) go(`#/webhooks/${created.id}`);
    },
    { testid: 'create-webhook' },
  );
  view.replaceChildren(
    el(
      'section',
      { className: 'panel', attrs: { 'aria-labelledby': 'overview-title' } },
      el(
        'div',
        { className: 'panel-head' },
        el('h2', { attrs: { id: 'overview-title' } }, 'Webhooks'),
        el(
          'div',
          { className: 'toolbar' },
          windowPicker(window, (value) => go(`#/?window=${value}`)),
          create,
        ),
      ),
      status,
      list,
    ),
  );
  let summary;
  try {
    summary = await loadSummary(window);
  } catch (error) {
    if (isCurrent()) status.replaceWith(errorBox('the webhooks', error));
    return;
  }
  if (!isCurrent()) return;
  /** @type {Record<string, number>} */
  const counts = {};
  for (const webhook of summary.webhooks) counts[webhook.state] = (counts[webhook.state] ?? 0) + 1;
  const countText = ['disabled', 'failing', 'paused', 'healthy']
    .filter((name) => counts[name])
    .map((name) => `${counts[name]} ${name}`)
    .join(', ');
  if (summary.webhooks.length === 0) {
    status.replaceChildren('No webhooks yet. Create one to receive channel events.');
  } else {
    status.replaceChildren(
      `${summary.webhooks.length} webhooks (${countText}); attempts over the last ${WINDOW_WORDS[summary.window] ?? summary.window}, as of `,
      time(summary.generatedAt),
    );
  }
  list.replaceChildren(...summary.webhooks.map((webhook) => webhookCard(webhook, summary.window)));
}
