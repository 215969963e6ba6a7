// The service's public API: same origin, /v1 only, with the key the user typed in.

import { notice } from './render.js';
import { state } from './state.js';

const KEY_STORAGE = 'channel-webhooks.dashboard.api-key';
const LIST_LENGTH = 100;
const MAX_RATE_LIMIT_WAIT_S = 30;

// Only this module reads the key, so it cannot end up anywhere but in the Authorization header.
let key = sessionStorage.getItem(KEY_STORAGE) ?? '';

export const hasKey = () => Boolean(key);

export function useKey(value) {
  key = value;
  sessionStorage.setItem(KEY_STORAGE, value);
}

export function forgetKey() {
  key = '';
  sessionStorage.removeItem(KEY_STORAGE);
}

// Signing out clears the whole page, which is not this module's to know; the entry sets it.
let keyRefused = () => {};

/** What to do when the API refuses the key (answers of a superseded generation excepted). */
export function onKeyRefused(handler) {
  keyRefused = handler;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Ids are strings of digits; anything else is refused before it reaches a URL. */
export function id(value) {
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new Error(`unexpected id ${JSON.stringify(text)}`);
  return text;
}

async function api(method, path, retries = 2) {
  // A relative /v1 path keeps the key on this origin, whatever the data says.
  if (!path.startsWith('/v1/')) throw new Error(`refusing to call ${path}`);
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  const generation = state.generation;
  const response = await fetch(path, {
    method,
    headers,
    cache: 'no-store',
    credentials: 'omit',
    redirect: 'error',
  });
  // Charts fan out into many reads: past the API rate limit, wait as told and go on.
  const retryAfter = Number(response.headers.get('Retry-After') ?? NaN);
  if (
    response.status === 429 &&
    retries > 0 &&
    retryAfter >= 0 &&
    retryAfter <= MAX_RATE_LIMIT_WAIT_S
  ) {
    notice(`Rate limited by the API; going on in ${retryAfter} s.`);
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
    if (generation === state.generation) return api(method, path, retries - 1);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (response.status === 401) {
    if (generation === state.generation) keyRefused();
    throw new ApiError(401, 'the API key was refused');
  }
  if (!response.ok) {
    const message = Array.isArray(body?.message) ? body.message.join('; ') : body?.message;
    throw new ApiError(response.status, `${response.status}: ${message ?? response.statusText}`);
  }
  return body;
}

export const listWebhooks = () => api('GET', `/v1/webhook?length=${LIST_LENGTH}`);
export const listDeliveries = (webhookId) =>
  api('GET', `/v1/webhook/${id(webhookId)}/deliveries?length=${LIST_LENGTH}`);
export const readDelivery = (webhookId, deliveryId) =>
  api('GET', `/v1/webhook/${id(webhookId)}/deliveries/${id(deliveryId)}`);
export const redeliver = (webhookId, deliveryId) =>
  api('POST', `/v1/webhook/${id(webhookId)}/deliveries/${id(deliveryId)}/redeliver`);
export const sendTest = (webhookId) => api('POST', `/v1/webhook/${id(webhookId)}/test`);

/** Runs at most `size` tasks at once, so a long list does not flood the service. */
function pool(size) {
  let active = 0;
  const waiting = [];
  const next = () => {
    if (active >= size || waiting.length === 0) return;
    active++;
    const { task, resolve, reject } = waiting.shift();
    task()
      .then(resolve, reject)
      .finally(() => {
        active--;
        next();
      });
  };
  return (task) =>
    new Promise((resolve, reject) => {
      waiting.push({ task, resolve, reject });
      next();
    });
}
export const limited = pool(4);

/** A delivery's detail, from the cache while its attempt count and status are unchanged. */
export async function deliveryDetail(webhookId, delivery) {
  const cacheKey = `${webhookId}/${delivery.id}`;
  const cached = state.details.get(cacheKey);
  if (cached && cached.attempts === delivery.attempts && cached.status === delivery.status)
    return cached.detail;
  const detail = await limited(() => readDelivery(webhookId, delivery.id));
  state.details.set(cacheKey, {
    attempts: detail.attempts.length,
    status: detail.status,
    detail,
  });
  return detail;
}
