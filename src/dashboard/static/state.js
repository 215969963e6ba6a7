// @ts-check
// What the page has loaded, shared by the views without importing one another in a circle; and
// the shapes of a view the entry hands to each.

/** @typedef {import('../api-types.js').SummaryWindow} SummaryWindow */
/** @typedef {import('../api-types.js').WebhookSummary} WebhookSummary */
/** @typedef {import('../api-types.js').WebhookSummaryPage} WebhookSummaryPage */

/**
 * A view the address names: which one, the ids in its path, and how to show it.
 * @typedef {object} View
 * @property {'overview' | 'webhook' | 'delivery' | 'channels' | 'channel' | 'events'} view
 * @property {string} [webhookId]
 * @property {string} [deliveryId]
 * @property {string} [channelId]
 * @property {Render} render
 */

/**
 * A view with the query of the address (after `?`).
 * @typedef {View & { params: URLSearchParams }} Route
 */

/**
 * Navigates to an address after `#`.
 * @typedef {(hash: string) => void} Go
 */

/**
 * Shows `route` in `view`; `isCurrent()` is false once the page has moved on, and an answer that
 * comes after that is dropped.
 * @typedef {(
 *   view: HTMLElement, route: Route, go: Go, isCurrent: () => boolean,
 * ) => Promise<void>} Render
 */

/** @type {SummaryWindow[]} */
export const WINDOWS = ['1h', '24h', '7d'];

export const state = {
  /**
   * The last webhook summary and its window; the webhook views read URIs and states from it.
   * @type {WebhookSummaryPage | null}
   */
  summary: null,
  /** Set by Refresh: the next view that reads the summary loads it again first. */
  summaryStale: false,
  /** Bumped by every navigation and key change, so late answers of an older view are dropped. */
  generation: 0,
};

/**
 * The webhook of the last summary with this id, or undefined.
 * @param {string} webhookId
 * @returns {WebhookSummary | undefined}
 */
export const knownWebhook = (webhookId) =>
  state.summary?.webhooks.find((webhook) => webhook.id === webhookId);
