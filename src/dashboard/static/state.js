// What the page has loaded, shared by the views without importing one another in a circle.

export const WINDOWS = ['1h', '24h', '7d'];

export const state = {
  /** The last webhook summary and its window; the webhook views read URIs and states from it. */
  summary: null,
  /** Bumped by every navigation and key change, so late answers of an older view are dropped. */
  generation: 0,
};

/** The webhook of the last summary with this id, or undefined. */
export const knownWebhook = (webhookId) =>
  state.summary?.webhooks.find((webhook) => webhook.id === webhookId);
