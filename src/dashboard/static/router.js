// Which webhook and delivery are shown, kept in the address (#/webhooks/{id} and
// #/webhooks/{id}/deliveries/{id}) so reload and back work, and the loading of what is shown.

import { ApiError, hasKey, limited, listDeliveries, listWebhooks, readDelivery } from './api.js';
import { renderStats } from './charts.js';
import {
  $,
  hideDeliveryDetail,
  notice,
  renderDeliveries,
  renderDeliveryDetail,
  renderWebhooks,
  showBoard,
  showLogin,
} from './render.js';
import { state } from './state.js';

const POLL_EVERY_MS = 1_000;
const POLL_FOR_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Loading

/** Reloads one webhook's deliveries, then its table, its open delivery and its charts. */
async function refreshWebhook(webhookId, generation = state.generation) {
  const page = await limited(() => listDeliveries(webhookId));
  if (generation !== state.generation) return page;
  state.deliveries.set(webhookId, page);
  if (state.selectedWebhook === webhookId) {
    renderDeliveries(webhookId, navigate);
    if (state.selectedDelivery)
      await refreshDeliveryDetail(webhookId, state.selectedDelivery, generation);
  }
  await renderStats(webhookId, page, generation);
  return page;
}

async function refreshDeliveryDetail(webhookId, deliveryId, generation = state.generation) {
  try {
    const detail = await readDelivery(webhookId, deliveryId);
    if (generation !== state.generation || state.selectedDelivery !== deliveryId) return;
    renderDeliveryDetail(detail);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      hideDeliveryDetail();
      notice(`Delivery ${deliveryId} no longer exists.`, 'error');
      return;
    }
    throw error;
  }
}

export async function refresh() {
  if (!hasKey()) return showLogin();
  const generation = ++state.generation;
  const button = $('refresh');
  button.disabled = true;
  try {
    const page = await listWebhooks();
    if (generation !== state.generation) return;
    state.webhooks = page.data;
    renderWebhooks(page, navigate);
    showBoard();
    if (
      state.selectedWebhook &&
      !page.data.some((webhook) => webhook.id === state.selectedWebhook)
    ) {
      notice(`Webhook ${state.selectedWebhook} is not in the list.`, 'error');
      navigate(null);
    }
    // The open webhook first: that is what the user is looking at.
    const order = [...page.data].sort(
      (a, b) => Number(b.id === state.selectedWebhook) - Number(a.id === state.selectedWebhook),
    );
    const results = await Promise.allSettled(
      order.map((webhook) => refreshWebhook(webhook.id, generation)),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed && generation === state.generation) throw failed.reason;
    $('last-refresh').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401))
      notice(`Could not load: ${error.message}`, 'error');
  } finally {
    button.disabled = false;
  }
}

/** After a redelivery or a test, reload its webhook until the delivery is no longer pending. */
export async function follow(webhookId, deliveryId) {
  const key = `${webhookId}/${deliveryId}`;
  if (state.polling.has(key)) return;
  state.polling.add(key);
  const deadline = Date.now() + POLL_FOR_MS;
  try {
    for (;;) {
      const page = await refreshWebhook(webhookId);
      const delivery = page.data.find((candidate) => candidate.id === deliveryId);
      if (!delivery || delivery.status !== 'pending' || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
    }
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401))
      notice(`Could not load: ${error.message}`, 'error');
  } finally {
    state.polling.delete(key);
    $('last-refresh').textContent = `updated ${new Date().toLocaleTimeString()}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Navigation

function parseHash() {
  const match = /^#\/webhooks\/(\d+)(?:\/deliveries\/(\d+))?$/.exec(location.hash);
  return { webhookId: match?.[1] ?? null, deliveryId: match?.[2] ?? null };
}

export function navigate(webhookId, deliveryId = null) {
  const hash = webhookId
    ? `#/webhooks/${webhookId}${deliveryId ? `/deliveries/${deliveryId}` : ''}`
    : '';
  if (location.hash === hash) return applyRoute();
  // hashchange runs applyRoute; clearing the hash that way would leave a bare "#" behind.
  if (hash) location.hash = hash;
  else {
    history.pushState(null, '', location.pathname + location.search);
    applyRoute();
  }
}

function applyRoute() {
  const { webhookId, deliveryId } = parseHash();
  const changedWebhook = webhookId !== state.selectedWebhook;
  state.selectedWebhook = webhookId;
  state.selectedDelivery = deliveryId;
  for (const [rowId, slots] of state.rows) {
    slots.row.classList.toggle('selected', rowId === webhookId);
    if (rowId === webhookId) slots.row.setAttribute('aria-current', 'true');
    else slots.row.removeAttribute('aria-current');
  }
  if (!webhookId) {
    $('webhook-detail').hidden = true;
    hideDeliveryDetail();
    return;
  }
  if (state.deliveries.has(webhookId)) renderDeliveries(webhookId, navigate);
  if (!deliveryId) hideDeliveryDetail();
  if (!hasKey()) return;
  const work =
    changedWebhook || !state.deliveries.has(webhookId)
      ? refreshWebhook(webhookId)
      : deliveryId
        ? refreshDeliveryDetail(webhookId, deliveryId)
        : Promise.resolve();
  work
    .then(() => {
      if (deliveryId) $('delivery-detail').scrollIntoView({ block: 'nearest' });
    })
    .catch((error) => {
      if (!(error instanceof ApiError && error.status === 401))
        notice(`Could not load: ${error.message}`, 'error');
    });
}

/** Follows the address from now on, and selects what it names now. */
export function startRouting() {
  window.addEventListener('hashchange', applyRoute);
  window.addEventListener('popstate', applyRoute);

  // refresh() loads the webhook and delivery the address names, when there are any.
  const { webhookId, deliveryId } = parseHash();
  state.selectedWebhook = webhookId;
  state.selectedDelivery = deliveryId;
}
