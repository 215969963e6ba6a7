// @ts-check
// The dashboard's entry: the session (key in, key out) and the views, chosen by the address so
// that reload, back and a shared link show the same thing:
//   #/?window=24h                          the overview
//   #/webhooks/{id}?status=…&event=…       a webhook and its delivery search
//   #/webhooks/{id}/deliveries/{id}        one delivery, every attempt
//   #/channels, #/channels/{id}            channels, one channel's timeline
//   #/events                               the event catalog

import { forgetKey, hasKey, onKeyRefused, useKey } from './api.js';
import { renderChannel, renderChannels } from './channels.js';
import { renderDelivery, renderWebhook } from './deliveries.js';
import { renderEvents } from './events.js';
import { dialogOpen } from './dialogs.js';
import { $, clearNotice, el, errorBox, loading, notice } from './dom.js';
import { renderOverview } from './overview.js';
import { state } from './state.js';

/** @typedef {import('./state.js').Route} Route */
/** @typedef {import('./state.js').View} View */

// The overview and the channel list follow the service by themselves; a search the operator
// pages through is left alone.
const AUTO_REFRESH_MS = 30_000;

/** @type {[RegExp, (ids: string[]) => View][]} the ids: the pattern's groups */
const ROUTES = [
  [/^\/?$/, () => ({ view: 'overview', render: renderOverview })],
  [/^\/webhooks\/(\d+)$/, ([webhookId]) => ({ view: 'webhook', webhookId, render: renderWebhook })],
  [
    /^\/webhooks\/(\d+)\/deliveries\/(\d+)$/,
    ([webhookId, deliveryId]) => ({
      view: 'delivery',
      webhookId,
      deliveryId,
      render: renderDelivery,
    }),
  ],
  [/^\/channels$/, () => ({ view: 'channels', render: renderChannels })],
  [/^\/channels\/(\d+)$/, ([channelId]) => ({ view: 'channel', channelId, render: renderChannel })],
  [/^\/events$/, () => ({ view: 'events', render: renderEvents })],
];

/**
 * The route the address names, or null for none.
 * @returns {Route | null}
 */
function parseRoute() {
  const hash = location.hash.replace(/^#/, '');
  const [path, search = ''] = hash.split('?', 2);
  for (const [pattern, make] of ROUTES) {
    const match = pattern.exec(path);
    if (match) return { ...make(match.slice(1)), params: new URLSearchParams(search) };
  }
  return null;
}

/**
 * Shows the page of `hash` (after #): a new address, or the current one again.
 * @param {string} hash
 */
export function go(hash) {
  if (location.hash === hash || (hash === '#/' && location.hash === '')) return show();
  location.hash = hash;
}

async function show() {
  if (!hasKey()) return showLogin();
  showBoard();
  const generation = ++state.generation;
  const isCurrent = () => generation === state.generation;
  const view = $('view');
  const route = parseRoute();
  for (const item of /** @type {NodeListOf<HTMLElement>} */ (
    document.querySelectorAll('[data-nav]')
  )) {
    const section =
      route?.view === 'events'
        ? 'events'
        : route?.view.startsWith('channel')
          ? 'channels'
          : 'webhooks';
    const active = route && item.dataset.nav === section;
    if (active) item.setAttribute('aria-current', 'page');
    else item.removeAttribute('aria-current');
  }
  if (!route) {
    view.replaceChildren(
      el(
        'div',
        { className: 'error-box', attrs: { role: 'alert' } },
        'There is no such page. ',
        el('a', { attrs: { href: '#/' } }, 'All webhooks'),
      ),
    );
    return;
  }
  view.dataset.view = route.view;
  view.setAttribute('aria-busy', 'true');
  if (!view.firstChild || view.dataset.shown !== location.hash) view.replaceChildren(loading());
  try {
    await route.render(view, route, go, isCurrent);
  } catch (error) {
    if (isCurrent()) view.replaceChildren(errorBox('this view', error));
  } finally {
    if (isCurrent()) {
      view.dataset.shown = location.hash;
      view.removeAttribute('aria-busy');
      $('last-refresh').textContent = `updated ${new Date().toLocaleTimeString()}`;
    }
  }
}

function showLogin() {
  $('login').hidden = false;
  $('view').hidden = true;
  $('session-actions').hidden = true;
  $('nav').hidden = true;
  $('api-key').focus();
}

function showBoard() {
  $('login').hidden = true;
  $('view').hidden = false;
  $('session-actions').hidden = false;
  $('nav').hidden = false;
}

/**
 * Forgets the key and everything loaded, and asks for a key again.
 * @param {string} [message] why, as an error notice
 */
function signOut(message) {
  forgetKey();
  state.generation++;
  state.summary = null;
  $('view').replaceChildren();
  for (const dialog of /** @type {NodeListOf<HTMLDialogElement>} */ (
    document.querySelectorAll('dialog[open]')
  ))
    dialog.close();
  showLogin();
  if (message) notice(message, 'error');
}

function start() {
  onKeyRefused(() => signOut('The API key was refused. Enter a valid key.'));
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = /** @type {HTMLInputElement} */ ($('api-key'));
    const key = input.value.trim();
    if (!key) return;
    input.value = '';
    useKey(key);
    clearNotice();
    void show();
  });
  $('forget-key').addEventListener('click', () => signOut());
  $('refresh').addEventListener('click', () => {
    state.summaryStale = true;
    void show();
  });
  window.addEventListener('hashchange', () => void show());
  setInterval(() => {
    const route = parseRoute();
    if (!hasKey() || document.hidden || dialogOpen() || !route) return;
    if (route.view === 'overview' || route.view === 'channels') void show();
  }, AUTO_REFRESH_MS);
  void show();
}

start();
