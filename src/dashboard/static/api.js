// @ts-check
// The service's public API: same origin, /v1 only, with the key the user typed in.

/** @typedef {import('../api-types.js').Channel} Channel */
/** @typedef {import('../api-types.js').ChannelPage} ChannelPage */
/** @typedef {import('../api-types.js').ChannelTimeline} ChannelTimeline */
/** @typedef {import('../api-types.js').CreatedWebhook} CreatedWebhook */
/** @typedef {import('../api-types.js').CreateWebhookBody} CreateWebhookBody */
/** @typedef {import('../api-types.js').Delivery} Delivery */
/** @typedef {import('../api-types.js').DeliveryDetail} DeliveryDetail */
/** @typedef {import('../api-types.js').DeliveryPage} DeliveryPage */
/** @typedef {import('../api-types.js').EmptyResponse} EmptyResponse */
/** @typedef {import('../api-types.js').EventTypeList} EventTypeList */
/** @typedef {import('../api-types.js').ErrorResponse} ErrorResponse */
/** @typedef {import('../api-types.js').Recovered} Recovered */
/** @typedef {import('../api-types.js').SummaryWindow} SummaryWindow */
/** @typedef {import('../api-types.js').UpdateWebhookBody} UpdateWebhookBody */
/** @typedef {import('../api-types.js').Webhook} Webhook */
/** @typedef {import('../api-types.js').WebhookSecret} WebhookSecret */
/** @typedef {import('../api-types.js').WebhookSummaryPage} WebhookSummaryPage */

const KEY_STORAGE = 'channel-webhooks.dashboard.api-key';
const MAX_RATE_LIMIT_WAIT_S = 30;
export const PAGE_LENGTH = 50;

// Only this module reads the key, so it cannot end up anywhere but in the Authorization header.
let key = sessionStorage.getItem(KEY_STORAGE) ?? '';

export const hasKey = () => Boolean(key);

/** @param {string} value */
export function useKey(value) {
  key = value;
  sessionStorage.setItem(KEY_STORAGE, value);
}

export function forgetKey() {
  key = '';
  sessionStorage.removeItem(KEY_STORAGE);
}

// Signing out clears the whole page, which is not this module's to know; the entry sets it.
/** @type {() => void} */
let keyRefused = () => {};

/**
 * What to do when the API refuses the key.
 * @param {() => void} handler
 */
export function onKeyRefused(handler) {
  keyRefused = handler;
}

/** An answer other than 2xx: its status and the service's own messages (one or several). */
export class ApiError extends Error {
  /**
   * @param {number} status 0 when the service could not be reached
   * @param {string[]} messages
   * @param {string} path
   */
  constructor(status, messages, path) {
    super(messages.join('; '));
    this.status = status;
    this.messages = messages;
    this.path = path;
  }
}

/**
 * Ids are strings of digits; anything else is refused before it reaches a URL.
 * @param {string} value
 * @returns {string}
 */
export function id(value) {
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new Error(`unexpected id ${JSON.stringify(text)}`);
  return text;
}

/**
 * A query string of the defined, non-empty values.
 * @param {Record<string, string | number | null | undefined>} values
 */
function query(values) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * Calls the API and resolves with its JSON answer, typed by the caller as the route's DTO.
 * @template T
 * @param {'GET' | 'POST' | 'PUT' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {number} [retries]
 * @returns {Promise<T>}
 */
async function api(method, path, body, retries = 1) {
  // A relative /v1 path keeps the key on this origin, whatever the data says.
  if (!path.startsWith('/v1/')) throw new Error(`refusing to call ${path}`);
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
    });
  } catch {
    throw new ApiError(0, ['the service could not be reached'], path);
  }
  const retryAfter = Number(response.headers.get('Retry-After') ?? NaN);
  if (
    (response.status === 429 || response.status === 503) &&
    method === 'GET' &&
    retries > 0 &&
    retryAfter >= 0 &&
    retryAfter <= MAX_RATE_LIMIT_WAIT_S
  ) {
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    return api(method, path, body, retries - 1);
  }
  let answer;
  try {
    answer = await response.json();
  } catch {
    answer = undefined;
  }
  if (response.status === 401) {
    keyRefused();
    throw new ApiError(401, ['the API key was refused'], path);
  }
  if (!response.ok) {
    const message = /** @type {Partial<ErrorResponse> | undefined} */ (answer)?.message;
    const messages = Array.isArray(message)
      ? message.map(String)
      : [String(message ?? response.statusText ?? 'no answer')];
    throw new ApiError(response.status, messages, path);
  }
  return answer;
}

// ---------------------------------------------------------------------------------------------
// Reads

/**
 * Every webhook with its health over `window` (1h, 24h or 7d): the whole overview in one call.
 * @param {SummaryWindow} window
 * @returns {Promise<WebhookSummaryPage>}
 */
export const webhookSummary = (window) => api('GET', `/v1/webhook-summary${query({ window })}`);

/**
 * The event catalog: every event, what it means, its body's JSON Schema and an example.
 * @returns {Promise<EventTypeList>}
 */
export const eventTypes = () => api('GET', '/v1/event-types');

/**
 * One page of a webhook's deliveries, newest first; `filters` as the route names them.
 * @param {string} webhookId
 * @param {Record<string, string>} filters
 * @param {string} [before] the `nextCursor` of the page before
 * @returns {Promise<DeliveryPage>}
 */
export const listDeliveries = (webhookId, filters, before) =>
  api(
    'GET',
    `/v1/webhook/${id(webhookId)}/deliveries${query({ ...filters, before, length: PAGE_LENGTH })}`,
  );

/**
 * @param {string} webhookId
 * @param {string} deliveryId
 * @returns {Promise<DeliveryDetail>}
 */
export const readDelivery = (webhookId, deliveryId) =>
  api('GET', `/v1/webhook/${id(webhookId)}/deliveries/${id(deliveryId)}`);

/**
 * @param {number} page
 * @returns {Promise<ChannelPage>}
 */
export const listChannels = (page) => api('GET', `/v1/channel${query({ page, length: 100 })}`);

/**
 * @param {string} channelId
 * @returns {Promise<Channel>}
 */
export const readChannel = (channelId) => api('GET', `/v1/channel/${id(channelId)}`);

/**
 * @param {string} channelId
 * @param {string} [before] the `nextCursor` of the page before
 * @returns {Promise<ChannelTimeline>}
 */
export const channelEvents = (channelId, before) =>
  api('GET', `/v1/channel/${id(channelId)}/events${query({ before, length: PAGE_LENGTH })}`);

// ---------------------------------------------------------------------------------------------
// Actions

/**
 * @param {CreateWebhookBody} body
 * @returns {Promise<CreatedWebhook>}
 */
export const createWebhook = (body) => api('POST', '/v1/webhook', body);
/**
 * @param {string} webhookId
 * @param {UpdateWebhookBody} body
 * @returns {Promise<Webhook>}
 */
export const updateWebhook = (webhookId, body) => api('PUT', `/v1/webhook/${id(webhookId)}`, body);
/**
 * @param {string} webhookId
 * @returns {Promise<EmptyResponse>}
 */
export const deleteWebhook = (webhookId) => api('DELETE', `/v1/webhook/${id(webhookId)}`);
/**
 * @param {string} webhookId
 * @returns {Promise<WebhookSecret>}
 */
export const rotateSecret = (webhookId) =>
  api('POST', `/v1/webhook/${id(webhookId)}/secret/rotate`);
/**
 * @param {string} webhookId
 * @returns {Promise<Delivery>} the test ping's delivery
 */
export const sendTest = (webhookId) => api('POST', `/v1/webhook/${id(webhookId)}/test`);
/**
 * @param {string} webhookId
 * @param {string} deliveryId
 * @returns {Promise<Delivery>}
 */
export const redeliver = (webhookId, deliveryId) =>
  api('POST', `/v1/webhook/${id(webhookId)}/deliveries/${id(deliveryId)}/redeliver`);
/**
 * @param {string} webhookId
 * @param {string} since ISO 8601
 * @param {string} [until] ISO 8601; left out: up to now
 * @returns {Promise<Recovered>}
 */
export const recover = (webhookId, since, until) =>
  api('POST', `/v1/webhook/${id(webhookId)}/recover`, until ? { since, until } : { since });
/**
 * @param {string} channelId
 * @returns {Promise<Channel>}
 */
export const endSession = (channelId) => api('POST', `/v1/channel/${id(channelId)}/end`);
