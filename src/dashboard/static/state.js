// What the page has loaded and what it shows. Its own module, so that the API, the views, the
// charts and the router can share it without importing one another in a circle.

export const state = {
  /** Bumped by every full refresh and key change, so late answers of an older one are dropped. */
  generation: 0,
  webhooks: [],
  /** webhook id → the {data, total} of its newest deliveries */
  deliveries: new Map(),
  /** webhook id → the row's elements that later answers fill in */
  rows: new Map(),
  /** "webhookId/deliveryId" → {attempts, status, detail}: finished deliveries do not change */
  details: new Map(),
  selectedWebhook: null,
  selectedDelivery: null,
  polling: new Set(),
};
