// The page's views. Everything shown is built with createElement and textContent: webhook URIs,
// receiver answers and payloads come from outside and must never be parsed as markup.

import { state } from './state.js';

export const $ = (id) => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found;
};

// ---------------------------------------------------------------------------------------------
// DOM helpers: text only, never markup

/** An element with a class, a data-testid and text or child nodes. */
function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.testid) node.dataset.testid = options.testid;
  if (options.title) node.title = options.title;
  if (options.data)
    for (const [name, value] of Object.entries(options.data)) node.dataset[name] = value;
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

const dash = '—';
const show = (value) =>
  value === null || value === undefined || value === '' ? dash : String(value);
const dateTime = (iso) => (iso ? new Date(iso).toLocaleString() : dash);
export const ms = (value) =>
  value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`;

function statusBadge(status, testid) {
  return el('span', { className: `badge status-${status}`, testid }, status);
}

let noticeTimer;
export function notice(message, kind = 'info') {
  const box = $('notice');
  clearTimeout(noticeTimer);
  box.textContent = message;
  box.className = `notice ${kind}`;
  box.dataset.kind = kind;
  box.hidden = false;
  if (kind === 'info') noticeTimer = setTimeout(() => (box.hidden = true), 6_000);
}

// ---------------------------------------------------------------------------------------------
// Views

/** A webhook's card; `onOpen(webhookId)` is what clicking its URI does. */
function webhookRow(webhook, onOpen) {
  const selected = webhook.id === state.selectedWebhook;
  const open = el(
    'button',
    { className: 'link uri', testid: 'webhook-open', title: webhook.uri },
    webhook.uri,
  );
  open.type = 'button';
  open.addEventListener('click', () => onOpen(webhook.id));
  const events = Array.isArray(webhook.event) ? webhook.event.join(', ') : String(webhook.event);
  const success = el(
    'div',
    { className: 'chart-slot' },
    el('span', { className: 'muted small' }, 'loading…'),
  );
  const latency = el(
    'div',
    { className: 'chart-slot' },
    el('span', { className: 'muted small' }, 'loading…'),
  );
  const successText = el('span', { className: 'figure', testid: 'success-rate' }, '…');
  const latencyText = el('span', { className: 'figure', testid: 'latency-summary' }, '…');
  const row = el(
    'li',
    {
      className: `webhook${selected ? ' selected' : ''}`,
      testid: 'webhook-row',
      data: { webhookId: webhook.id },
    },
    el(
      'div',
      { className: 'webhook-head' },
      open,
      el(
        'span',
        { className: `badge ${webhook.active ? 'active' : 'inactive'}`, testid: 'webhook-active' },
        webhook.active ? 'active' : 'inactive',
      ),
    ),
    el('div', { className: 'muted small', testid: 'webhook-events' }, `events: ${events}`),
    el(
      'div',
      { className: 'charts' },
      el('figure', {}, el('figcaption', {}, 'Success ', successText), success),
      el('figure', {}, el('figcaption', {}, 'Latency ', latencyText), latency),
    ),
  );
  if (selected) row.setAttribute('aria-current', 'true');
  state.rows.set(webhook.id, { row, success, latency, successText, latencyText });
  return row;
}

export function renderWebhooks(page, onOpen) {
  const list = $('webhook-list');
  state.rows.clear();
  list.replaceChildren(...page.data.map((webhook) => webhookRow(webhook, onOpen)));
  $('webhooks-empty').hidden = page.data.length > 0;
  if (page.total > page.data.length) {
    list.append(
      el(
        'li',
        { className: 'muted small' },
        `Showing the first ${page.data.length} of ${page.total} webhooks.`,
      ),
    );
  }
}

/** A delivery's table row; `onOpen(webhookId, deliveryId)` is what clicking it does. */
function deliveryRow(webhookId, delivery, onOpen) {
  const open = el('button', { className: 'link', testid: 'delivery-open' }, delivery.event);
  open.type = 'button';
  open.addEventListener('click', (event) => {
    event.stopPropagation();
    onOpen(webhookId, delivery.id);
  });
  const status = statusBadge(delivery.status, 'delivery-status');
  if (delivery.status === 'pending' && delivery.nextAttemptAt)
    status.title = `next attempt ${dateTime(delivery.nextAttemptAt)}`;
  const row = el(
    'tr',
    {
      testid: 'delivery-row',
      className: delivery.id === state.selectedDelivery ? 'selected' : '',
      data: { deliveryId: delivery.id, status: delivery.status },
    },
    el('td', { testid: 'delivery-event' }, open),
    el('td', { testid: 'delivery-channel' }, show(delivery.channelId)),
    el('td', {}, status),
    el('td', { className: 'num', testid: 'delivery-attempts' }, String(delivery.attempts)),
    el('td', { className: 'num', testid: 'delivery-status-code' }, show(delivery.lastStatusCode)),
    el(
      'td',
      {
        className: delivery.lastError ? 'error-text' : 'muted',
        testid: 'delivery-error',
        title: delivery.lastError ?? '',
      },
      show(delivery.lastError),
    ),
    el(
      'td',
      { testid: 'delivery-created', title: delivery.createdAt },
      dateTime(delivery.createdAt),
    ),
  );
  row.addEventListener('click', () => onOpen(webhookId, delivery.id));
  return row;
}

export function renderDeliveries(webhookId, onOpen) {
  const section = $('webhook-detail');
  const webhook = state.webhooks.find((candidate) => candidate.id === webhookId);
  section.hidden = false;
  $('webhook-detail-uri').textContent = webhook ? webhook.uri : `webhook ${webhookId}`;
  section.dataset.webhookId = webhookId;
  const page = state.deliveries.get(webhookId);
  const rows = page ? page.data.map((delivery) => deliveryRow(webhookId, delivery, onOpen)) : [];
  $('delivery-rows').replaceChildren(...rows);
  $('deliveries-empty').hidden = !page || page.data.length > 0;
}

export function renderDeliveryDetail(detail) {
  const section = $('delivery-detail');
  section.hidden = false;
  section.dataset.deliveryId = detail.id;
  section.dataset.status = detail.status;
  $('delivery-detail-title').textContent = `${detail.id} · ${detail.event}`;
  const summary = [
    ['Status', statusBadge(detail.status, 'detail-status')],
    ['Event', detail.event],
    ['Channel', show(detail.channelId)],
    ['Message id', detail.messageId],
    ['Attempts', String(detail.attempts.length)],
    ['Last status code', show(detail.lastStatusCode)],
    ['Last error', show(detail.lastError)],
    ['Next attempt', dateTime(detail.nextAttemptAt)],
    ['Created', dateTime(detail.createdAt)],
  ];
  $('delivery-summary').replaceChildren(
    ...summary.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]),
  );
  $('attempt-rows').replaceChildren(
    ...detail.attempts.map((attempt) =>
      el(
        'tr',
        { testid: 'attempt-row' },
        el('td', { title: attempt.at }, dateTime(attempt.at)),
        el('td', { className: 'num', testid: 'attempt-status-code' }, show(attempt.statusCode)),
        el('td', { className: 'num', testid: 'attempt-duration' }, ms(attempt.durationMs)),
        el(
          'td',
          { className: attempt.error ? 'error-text' : 'muted', testid: 'attempt-error' },
          show(attempt.error),
        ),
        el(
          'td',
          {},
          attempt.responseBody === null || attempt.responseBody === ''
            ? dash
            : el('pre', { className: 'body', testid: 'attempt-response' }, attempt.responseBody),
        ),
      ),
    ),
  );
  if (detail.attempts.length === 0) {
    $('attempt-rows').append(el('tr', {}, el('td', { className: 'muted' }, 'No attempt yet.')));
  }
  $('payload').textContent = JSON.stringify(detail.payload, null, 2);
}

export function hideDeliveryDetail() {
  $('delivery-detail').hidden = true;
}

export function showLogin() {
  $('login').hidden = false;
  $('board').hidden = true;
  $('session-actions').hidden = true;
  $('api-key').focus();
}

export function showBoard() {
  $('login').hidden = true;
  $('board').hidden = false;
  $('session-actions').hidden = false;
}
