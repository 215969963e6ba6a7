// @ts-check
// One webhook: its health, its actions, and its delivery log searched by filters kept in the
// address; and one delivery: every attempt as sent and answered.

import {
  deleteWebhookAction,
  editWebhookAction,
  pauseAction,
  recoverAction,
  redeliverAction,
  resumeAction,
  rotateSecretAction,
  sendTestAction,
} from './actions.js';
import { id, listDeliveries, readDelivery } from './api.js';
import {
  button,
  DASH,
  el,
  errorBox,
  fromLocalInput,
  headerTable,
  link,
  ms,
  notice,
  olderButton,
  show,
  statusBadge,
  summaryList,
  time,
  toLocalInput,
} from './dom.js';
import { figures, loadSummary, stateBadge, stateDetail } from './overview.js';
import { knownWebhook, state } from './state.js';

/** @typedef {import('../api-types.js').Delivery} Delivery */
/** @typedef {import('../api-types.js').DeliveryAttempt} DeliveryAttempt */
/** @typedef {import('../api-types.js').DeliveryDetail} DeliveryDetail */
/** @typedef {import('../api-types.js').DeliveryPage} DeliveryPage */
/** @typedef {import('../api-types.js').Recovered} Recovered */
/** @typedef {import('../api-types.js').WebhookSummary} WebhookSummary */
/** @typedef {import('./dom.js').Child} Child */
/** @typedef {import('./dom.js').ElementOptions} ElementOptions */
/** @typedef {import('./state.js').Go} Go */
/** @typedef {import('./state.js').Render} Render */

/** The filters of the delivery search, as the route and the address name them. */
const FILTERS = ['status', 'event', 'channelId', 'since', 'until', 'messageId'];
const STATUSES = ['pending', 'succeeded', 'failed'];
/** The event of a test delivery (the server's PING_EVENT): this script cannot import it. */
const PING_EVENT = 'ping';
/** What a delivery can be of, as the server's DELIVERY_EVENTS: the channel events, a test ping. */
const EVENTS = ['channel_live', 'channel_stop', 'channel_ended', PING_EVENT];
const FOLLOW_EVERY_MS = 1_000;
const FOLLOW_FOR_MS = 30_000;

/**
 * The summary entry of a webhook, loading the summary when the page has none yet, or Refresh
 * asked for a fresh one.
 * @param {string} webhookId
 */
async function webhookOf(webhookId) {
  if (state.summaryStale || !knownWebhook(webhookId)) {
    await loadSummary(state.summary?.window ?? '24h');
  }
  return knownWebhook(webhookId);
}

/**
 * @param {HTMLElement} view
 * @param {string} webhookId
 */
function notFound(view, webhookId) {
  view.replaceChildren(
    el(
      'div',
      { className: 'error-box', testid: 'view-error', attrs: { role: 'alert' } },
      `Webhook ${webhookId} does not exist (any more). `,
      link('#/', 'All webhooks'),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// The webhook and its delivery log

/**
 * @param {string} name
 * @param {string} label the empty choice
 * @param {string[]} values
 * @param {string | undefined} selected
 */
function select(name, label, values, selected) {
  return el(
    'select',
    { testid: `filter-${name}`, attrs: { name } },
    el('option', { attrs: { value: '' } }, label),
    values.map((value) => el('option', { attrs: { value, selected: value === selected } }, value)),
  );
}

/**
 * @param {string} label
 * @param {HTMLInputElement | HTMLSelectElement} input
 */
function filterField(label, input) {
  const fieldId = `filter-${input.getAttribute('name')}`;
  input.id = fieldId;
  return el('div', { className: 'field' }, el('label', { attrs: { for: fieldId } }, label), input);
}

/**
 * The search form, filled in with `filters`; a search goes to its address.
 * @param {string} webhookId
 * @param {Record<string, string>} filters
 * @param {Go} go
 */
function filterForm(webhookId, filters, go) {
  /**
   * @param {string} name
   * @param {string} placeholder
   * @param {Record<string, string>} [extra] more attributes
   */
  const text = (name, placeholder, extra = {}) =>
    el('input', {
      testid: `filter-${name}`,
      attrs: {
        name,
        value: filters[name] ?? '',
        placeholder,
        autocomplete: 'off',
        spellcheck: 'false',
        ...extra,
      },
    });
  /** @param {string} name */
  const moment = (name) =>
    el('input', {
      testid: `filter-${name}`,
      attrs: {
        name,
        type: 'datetime-local',
        step: 1,
        value: filters[name] ? toLocalInput(filters[name]) : '',
      },
    });
  const form = el(
    'form',
    { className: 'filters', testid: 'delivery-filters', attrs: { role: 'search' } },
    filterField('Status', select('status', 'any', STATUSES, filters.status)),
    filterField('Event', select('event', 'any', EVENTS, filters.event)),
    filterField('Channel id', text('channelId', 'e.g. 42', { inputmode: 'numeric' })),
    filterField('Created from (your time)', moment('since')),
    filterField('Created before (your time)', moment('until')),
    filterField('Message id (webhook-id)', text('messageId', 'msg_…')),
    el(
      'div',
      { className: 'filter-actions' },
      el('button', { testid: 'filter-apply', attrs: { type: 'submit' } }, 'Search'),
      button('Clear', () => go(`#/webhooks/${webhookId}`), {
        className: 'secondary',
        testid: 'filter-clear',
      }),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const name of FILTERS) {
      const raw = /** @type {HTMLInputElement | HTMLSelectElement} */ (
        form.elements.namedItem(name)
      ).value.trim();
      const value = name === 'since' || name === 'until' ? fromLocalInput(raw) : raw;
      if (value) params.set(name, value);
    }
    const query = params.toString();
    go(`#/webhooks/${webhookId}${query ? `?${query}` : ''}`);
  });
  return form;
}

/**
 * @param {string} webhookId
 * @param {Delivery} delivery
 */
function deliveryRow(webhookId, delivery) {
  const status = statusBadge(delivery.status, 'delivery-status');
  if (delivery.status === 'pending')
    status.title = delivery.nextAttemptAt
      ? `next attempt ${new Date(delivery.nextAttemptAt).toLocaleString()}`
      : 'waiting for an earlier delivery of its channel';
  return el(
    'tr',
    { testid: 'delivery-row', data: { deliveryId: delivery.id, status: delivery.status } },
    el('td', { className: 'num muted' }, delivery.id),
    el(
      'td',
      { testid: 'delivery-event' },
      link(`#/webhooks/${webhookId}/deliveries/${delivery.id}`, delivery.event, {
        testid: 'delivery-open',
        attrs: { 'aria-label': `Delivery ${delivery.id}, ${delivery.event}, ${delivery.status}` },
      }),
    ),
    el(
      'td',
      { testid: 'delivery-channel' },
      delivery.channelId ? link(`#/channels/${delivery.channelId}`, delivery.channelId) : DASH,
    ),
    el('td', {}, status),
    el('td', { className: 'num', testid: 'delivery-attempts' }, String(delivery.attempts)),
    el('td', { className: 'num', testid: 'delivery-status-code' }, show(delivery.lastStatusCode)),
    el(
      'td',
      {
        className: `hide-narrow ${delivery.lastError ? 'error-text' : 'muted'}`,
        testid: 'delivery-error',
      },
      show(delivery.lastError),
    ),
    el('td', { testid: 'delivery-created' }, time(delivery.createdAt)),
  );
}

function deliveryTable() {
  /**
   * @param {string} text
   * @param {string} [className]
   */
  const head = (text, className) => el('th', { className, attrs: { scope: 'col' } }, text);
  return el(
    'table',
    { className: 'deliveries', testid: 'delivery-table' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        head('Id', 'num'),
        head('Event'),
        head('Channel'),
        head('Status'),
        head('Attempts', 'num'),
        head('Code', 'num'),
        head('Last error', 'hide-narrow'),
        head('Created'),
      ),
    ),
    el('tbody', {}),
  );
}

/**
 * The header of a webhook's views: state, figures and every action on it.
 * @param {WebhookSummary} webhook
 * @param {(label: string, answer: unknown) => Promise<void>} after
 */
function webhookHeader(webhook, after) {
  /**
   * @param {string} label
   * @param {(webhook: WebhookSummary) => Promise<unknown>} action resolves with the answer, or
   *   null when cancelled
   * @param {string} testid
   * @param {ElementOptions} [options]
   */
  const act = (label, action, testid, options = {}) =>
    button(
      label,
      async () => {
        const done = await action(webhook);
        if (done) await after(label, done);
      },
      { testid, ...options },
    );
  const running = webhook.state !== 'paused' && webhook.state !== 'disabled';
  return el(
    'section',
    { className: 'panel', testid: 'webhook-detail', data: { webhookId: webhook.id } },
    el('p', { className: 'crumbs' }, link('#/', '← All webhooks', { testid: 'back' })),
    el(
      'div',
      { className: 'webhook-head' },
      stateBadge(webhook),
      el('h2', { className: 'uri', testid: 'webhook-uri', title: webhook.uri }, webhook.uri),
    ),
    stateDetail(webhook),
    figures(webhook),
    el(
      'p',
      { className: 'muted small' },
      `#${webhook.id} · events: ${webhook.event.join(', ')}`,
      ` · channels: ${webhook.channels ? webhook.channels.join(', ') : 'every channel'}`,
      webhook.rateLimit ? ` · at most ${webhook.rateLimit}/s` : '',
      Object.keys(webhook.headers).length
        ? ` · headers: ${Object.keys(webhook.headers).join(', ')}`
        : '',
      ' · created ',
      time(webhook.createdAt),
    ),
    el(
      'div',
      { className: 'toolbar actions', attrs: { role: 'group', 'aria-label': 'Webhook actions' } },
      act('Send test', sendTestAction, 'send-test'),
      running
        ? act('Pause', pauseAction, 'pause', { className: 'secondary' })
        : act('Resume', resumeAction, 'resume'),
      act('Recover failed…', recoverAction, 'recover', { className: 'secondary' }),
      act('Rotate secret', rotateSecretAction, 'rotate-secret', { className: 'secondary' }),
      act('Edit', editWebhookAction, 'edit', { className: 'secondary' }),
      act('Delete', deleteWebhookAction, 'delete', { className: 'secondary danger-text' }),
    ),
  );
}

/**
 * What an action's answer means, said once it is done; then the view is loaded again.
 * @param {WebhookSummary} webhook
 * @param {Go} go
 * @param {() => Promise<void>} reload
 * @returns {(label: string, answer: unknown) => Promise<void>} `answer`: what the action of
 *   `label` resolved with
 */
function afterAction(webhook, go, reload) {
  return async (label, answer) => {
    if (label === 'Delete') {
      notice(`Webhook ${webhook.id} deleted.`);
      state.summary = null;
      return go('#/');
    }
    if (label === 'Send test') {
      const ping = /** @type {Delivery} */ (answer);
      notice(`Test ping queued as delivery ${ping.id}.`);
      return go(`#/webhooks/${webhook.id}/deliveries/${id(ping.id)}?follow=1`);
    }
    if (label === 'Recover failed…')
      notice(
        /** @type {Recovered} */ (answer).recovered === 0
          ? 'No failed delivery in that time range: nothing to recover.'
          : `${/** @type {Recovered} */ (answer).recovered} failed deliveries queued again.`,
      );
    else if (label === 'Pause') notice(`Webhook ${webhook.id} paused.`);
    else if (label === 'Resume') notice(`Webhook ${webhook.id} resumed.`);
    else if (label === 'Edit') notice(`Webhook ${webhook.id} saved.`);
    else if (label === 'Rotate secret') notice(`The secret of webhook ${webhook.id} was rotated.`);
    await reload();
  };
}

/** @type {Render} */
export async function renderWebhook(view, route, go, isCurrent) {
  // the route's path has it
  const webhookId = /** @type {string} */ (route.webhookId);
  /** @type {Record<string, string>} */
  const filters = {};
  for (const name of FILTERS) {
    const value = route.params.get(name);
    if (value) filters[name] = value;
  }
  /** @type {WebhookSummary | undefined} */
  let webhook;
  /** @type {DeliveryPage} */
  let first;
  try {
    [webhook, first] = await Promise.all([
      webhookOf(webhookId),
      listDeliveries(webhookId, filters),
    ]);
  } catch (error) {
    if (!isCurrent()) return;
    const status = /** @type {{ status?: number }} */ (error).status;
    if (status === 404 && !knownWebhook(webhookId)) return notFound(view, webhookId);
    view.replaceChildren(errorBox('the deliveries', error));
    return;
  }
  if (!isCurrent()) return;
  if (!webhook) return notFound(view, webhookId);

  const reload = async () => {
    await loadSummary(state.summary?.window ?? '24h');
    if (isCurrent()) await renderWebhook(view, route, go, isCurrent);
  };
  const table = deliveryTable();
  const body = /** @type {HTMLTableSectionElement} */ (table.querySelector('tbody'));
  const count = el('p', { className: 'muted small', testid: 'delivery-count' });
  const filtered = Object.keys(filters).length > 0;
  let shown = 0;
  const { older, append } = olderButton(
    'deliveries',
    (cursor) => listDeliveries(webhookId, filters, cursor),
    (page) => {
      body.append(...page.data.map((delivery) => deliveryRow(webhookId, delivery)));
      shown += page.data.length;
      count.textContent =
        page.total === 0
          ? filtered
            ? 'No delivery matches these filters.'
            : 'No deliveries yet.'
          : `Showing ${shown} of ${page.total} ${filtered ? 'matching ' : ''}deliveries, newest first.`;
    },
  );
  append(first);

  view.replaceChildren(
    webhookHeader(webhook, afterAction(webhook, go, reload)),
    el(
      'section',
      { className: 'panel', attrs: { 'aria-labelledby': 'deliveries-title' } },
      el('h2', { attrs: { id: 'deliveries-title' } }, 'Deliveries'),
      filterForm(webhookId, filters, go),
      count,
      el('div', { className: 'table-wrap' }, table),
      older,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// One delivery, every attempt

/**
 * @param {DeliveryAttempt} attempt
 * @param {number} index
 */
function attemptView(attempt, index) {
  const failed = attempt.errorDescription || attempt.error;
  return el(
    'article',
    {
      className: `attempt ${failed ? 'attempt-failed' : 'attempt-ok'}`,
      testid: 'attempt',
      data: { attempt: String(index + 1) },
    },
    el(
      'h4',
      {},
      `Attempt ${index + 1} · `,
      time(attempt.at),
      ' · ',
      el('span', { testid: 'attempt-status-code' }, attempt.statusCode ?? 'no answer'),
      ' · ',
      el('span', { testid: 'attempt-duration' }, ms(attempt.durationMs)),
    ),
    failed
      ? el(
          'p',
          { className: 'error-text', testid: 'attempt-why' },
          attempt.errorDescription ?? attempt.error,
        )
      : el('p', { className: 'ok-text', testid: 'attempt-why' }, 'Delivered.'),
    el(
      'div',
      { className: 'attempt-parts' },
      el(
        'div',
        {},
        el('h5', {}, 'Request headers, as sent'),
        attempt.requestHeaders === null
          ? el(
              'p',
              { className: 'muted small', testid: 'request-headers' },
              'Not recorded (an attempt made before the service kept them).',
            )
          : headerTable(attempt.requestHeaders, 'request-headers', 'None.'),
      ),
      el(
        'div',
        {},
        el('h5', {}, 'Response', attempt.statusCode === null ? '' : ` ${attempt.statusCode}`),
        attempt.responseHeaders === null
          ? el('p', { className: 'muted small', testid: 'response-headers' }, 'No answer.')
          : headerTable(attempt.responseHeaders, 'response-headers', 'No headers.'),
        attempt.responseBody === null || attempt.responseBody === ''
          ? el('p', { className: 'muted small' }, 'No body.')
          : el('pre', { className: 'body', testid: 'attempt-response' }, attempt.responseBody),
        attempt.responseBodyTruncated
          ? el('p', { className: 'muted small' }, 'Cut: the answer was longer than the log keeps.')
          : null,
      ),
    ),
  );
}

/**
 * Why a delivery has no attempt yet, or that it will have none.
 * @param {DeliveryDetail} detail
 * @returns {Child}
 */
function noAttempt(detail) {
  if (detail.status !== 'pending') return 'No attempt was made.';
  if (detail.nextAttemptAt)
    return [
      'No attempt yet: the first is due ',
      time(detail.nextAttemptAt, { relative: true }),
      '.',
    ];
  return detail.channelId
    ? `No attempt yet: it waits for an earlier delivery of channel ${detail.channelId} to finish.`
    : 'No attempt yet.';
}

/**
 * @param {string} webhookId
 * @param {WebhookSummary | undefined} webhook
 * @param {DeliveryDetail} detail
 * @param {() => Promise<void>} onRedeliver
 */
function deliverySection(webhookId, webhook, detail, onRedeliver) {
  return el(
    'section',
    {
      className: 'panel',
      testid: 'delivery-detail',
      data: { deliveryId: detail.id, status: detail.status },
    },
    el(
      'p',
      { className: 'crumbs' },
      link('#/', 'All webhooks'),
      ' › ',
      link(`#/webhooks/${webhookId}`, webhook?.uri ?? `webhook ${webhookId}`, {
        testid: 'back-to-webhook',
      }),
    ),
    el(
      'div',
      { className: 'panel-head' },
      el('h2', {}, `Delivery ${detail.id} `, el('span', { className: 'muted' }, detail.event)),
      button('Redeliver', onRedeliver, { testid: 'redeliver' }),
    ),
    summaryList(
      [
        ['Status', statusBadge(detail.status, 'detail-status')],
        ['Event', detail.event],
        [
          'Channel',
          detail.channelId ? link(`#/channels/${detail.channelId}`, detail.channelId) : DASH,
        ],
        ['Message id', el('code', { testid: 'detail-message-id' }, detail.messageId)],
        ['Attempts', String(detail.attempts.length)],
        [
          'Next attempt',
          detail.status !== 'pending'
            ? null
            : detail.nextAttemptAt
              ? time(detail.nextAttemptAt, { relative: true })
              : 'after the earlier delivery of its channel',
        ],
        ['Created', time(detail.createdAt)],
      ],
      'delivery-summary',
    ),
    el('h3', {}, 'Attempts'),
    detail.attempts.length === 0
      ? el('p', { className: 'muted', testid: 'no-attempt' }, noAttempt(detail))
      : el('div', { className: 'attempts' }, detail.attempts.map(attemptView)),
    el('h3', {}, 'Payload'),
    el('pre', { className: 'payload', testid: 'payload' }, JSON.stringify(detail.payload, null, 2)),
  );
}

/** @type {Render} */
export async function renderDelivery(view, route, go, isCurrent) {
  // the route's path has both
  const { webhookId, deliveryId } = /** @type {{ webhookId: string, deliveryId: string }} */ (
    route
  );
  /** @type {WebhookSummary | undefined} */
  let webhook;
  /** @type {DeliveryDetail} */
  let detail;
  try {
    [webhook, detail] = await Promise.all([
      webhookOf(webhookId).catch(() => undefined),
      readDelivery(webhookId, deliveryId),
    ]);
  } catch (error) {
    if (isCurrent()) view.replaceChildren(errorBox(`delivery ${deliveryId}`, error));
    return;
  }
  if (!isCurrent()) return;

  /** @param {DeliveryDetail} current */
  const display = (current) => {
    view.replaceChildren(
      deliverySection(webhookId, webhook, current, async () => {
        const done = await redeliverAction(webhookId, current, webhook?.uri);
        if (!done) return;
        notice(`Delivery ${current.id} queued for redelivery.`);
        await follow(current.attempts.length);
      }),
    );
  };
  /**
   * Reads the delivery again until it has more than `attempts` attempts and is not pending.
   * @param {number} attempts
   */
  const follow = async (attempts) => {
    const deadline = Date.now() + FOLLOW_FOR_MS;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_EVERY_MS));
      if (!isCurrent()) return;
      const current = await readDelivery(webhookId, deliveryId);
      if (!isCurrent()) return;
      display(current);
      const settled = current.status !== 'pending' && current.attempts.length > attempts;
      if (settled || Date.now() > deadline) return;
    }
  };
  display(detail);
  if (route.params.get('follow') && detail.status === 'pending') await follow(0);
}
