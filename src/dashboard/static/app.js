// The delivery dashboard. Everything shown is built with createElement and textContent: webhook
// URIs, receiver answers and payloads come from outside and must never be parsed as markup.

const KEY_STORAGE = 'channel-webhooks.dashboard.api-key';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LIST_LENGTH = 100;
// Latency needs one detail request per delivery; cap it so a busy webhook stays cheap to show.
const LATENCY_DELIVERIES = 50;
const POLL_EVERY_MS = 1_000;
const POLL_FOR_MS = 60_000;
const SVG_NS = 'http://www.w3.org/2000/svg';

const state = {
  key: sessionStorage.getItem(KEY_STORAGE) ?? '',
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

const $ = (id) => {
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

function svgEl(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const dash = '—';
const show = (value) =>
  value === null || value === undefined || value === '' ? dash : String(value);
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTime = (iso) => (iso ? new Date(iso).toLocaleString() : dash);
const ms = (value) => (value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(2)} s`);

function statusBadge(status, testid) {
  return el('span', { className: `badge status-${status}`, testid }, status);
}

let noticeTimer;
function notice(message, kind = 'info') {
  const box = $('notice');
  clearTimeout(noticeTimer);
  box.textContent = message;
  box.className = `notice ${kind}`;
  box.dataset.kind = kind;
  box.hidden = false;
  if (kind === 'info') noticeTimer = setTimeout(() => (box.hidden = true), 6_000);
}

// ---------------------------------------------------------------------------------------------
// The API: same origin, /v1 only

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Ids are strings of digits; anything else is refused before it reaches a URL. */
function id(value) {
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new Error(`unexpected id ${JSON.stringify(text)}`);
  return text;
}

const MAX_RATE_LIMIT_WAIT_S = 30;

async function api(method, path, retries = 2) {
  // A relative /v1 path keeps the key on this origin, whatever the data says.
  if (!path.startsWith('/v1/')) throw new Error(`refusing to call ${path}`);
  const headers = { Accept: 'application/json' };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
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
    if (generation === state.generation) signOut('The API key was refused. Enter a valid key.');
    throw new ApiError(401, 'the API key was refused');
  }
  if (!response.ok) {
    const message = Array.isArray(body?.message) ? body.message.join('; ') : body?.message;
    throw new ApiError(response.status, `${response.status}: ${message ?? response.statusText}`);
  }
  return body;
}

const listWebhooks = () => api('GET', `/v1/webhook?length=${LIST_LENGTH}`);
const listDeliveries = (webhookId) =>
  api('GET', `/v1/webhook/${id(webhookId)}/deliveries?length=${LIST_LENGTH}`);
const readDelivery = (webhookId, deliveryId) =>
  api('GET', `/v1/webhook/${id(webhookId)}/deliveries/${id(deliveryId)}`);
const redeliver = (webhookId, deliveryId) =>
  api('POST', `/v1/webhook/${id(webhookId)}/deliveries/${id(deliveryId)}/redeliver`);
const sendTest = (webhookId) => api('POST', `/v1/webhook/${id(webhookId)}/test`);

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
const limited = pool(4);

/** A delivery's detail, from the cache while its attempt count and status are unchanged. */
async function deliveryDetail(webhookId, delivery) {
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

// ---------------------------------------------------------------------------------------------
// Last-24-hours statistics and their charts

/** 24 rolling one-hour buckets ending now; index 23 is the latest hour. */
function bucketOf(time, now) {
  const age = now - time;
  if (age < 0) return 23;
  if (age >= DAY) return -1;
  return 23 - Math.floor(age / HOUR);
}

function bucketLabel(index, now) {
  const start = now - (24 - index) * HOUR;
  return `${timeFormat.format(start)}–${timeFormat.format(start + HOUR)}`;
}

function successStats(page, now) {
  const buckets = Array.from({ length: 24 }, () => ({ succeeded: 0, failed: 0, pending: 0 }));
  const recent = page.data.filter((delivery) => bucketOf(Date.parse(delivery.createdAt), now) >= 0);
  for (const delivery of recent) {
    buckets[bucketOf(Date.parse(delivery.createdAt), now)][delivery.status] += 1;
  }
  const succeeded = recent.filter((delivery) => delivery.status === 'succeeded').length;
  const failed = recent.filter((delivery) => delivery.status === 'failed').length;
  // The list holds the newest LIST_LENGTH only; say so when older ones of the day were left out.
  const oldest = page.data.at(-1);
  const truncated =
    page.total > page.data.length &&
    oldest !== undefined &&
    now - Date.parse(oldest.createdAt) < DAY;
  return {
    buckets,
    recent,
    succeeded,
    failed,
    pending: recent.length - succeeded - failed,
    truncated,
  };
}

async function latencyStats(webhookId, recent, now) {
  const details = await Promise.all(
    recent.slice(0, LATENCY_DELIVERIES).map((delivery) => deliveryDetail(webhookId, delivery)),
  );
  const buckets = Array.from({ length: 24 }, () => []);
  const all = [];
  for (const detail of details) {
    for (const attempt of detail.attempts) {
      const index = bucketOf(Date.parse(attempt.at), now);
      if (index < 0 || typeof attempt.durationMs !== 'number') continue;
      buckets[index].push(attempt.durationMs);
      all.push(attempt.durationMs);
    }
  }
  return { buckets, all };
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

const CHART = { width: 240, height: 44, bar: 8, gap: 2 };

function chartFrame(label, testid) {
  const svg = svgEl('svg', {
    viewBox: `0 0 ${CHART.width} ${CHART.height}`,
    class: 'chart',
    // Stretch the 24 buckets across the card; the height is fixed, so only x scales.
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-label': label,
    'data-testid': testid,
  });
  svg.append(svgEl('title', {}, label));
  svg.append(
    svgEl('line', {
      x1: 0,
      x2: CHART.width,
      y1: CHART.height - 0.5,
      y2: CHART.height - 0.5,
      class: 'axis',
    }),
  );
  return svg;
}

/** One bucket's bar: stacked parts of [fraction, className], bottom first, under one tooltip. */
function bar(svg, index, parts, tooltip) {
  const group = svgEl('g');
  group.append(svgEl('title', {}, tooltip));
  const room = CHART.height - 4;
  let bottom = CHART.height;
  for (const [fraction, className] of parts) {
    const height = Math.max(2, Math.round(fraction * room));
    bottom -= height;
    group.append(
      svgEl('rect', {
        x: index * (CHART.bar + CHART.gap),
        y: bottom,
        width: CHART.bar,
        height,
        class: className,
      }),
    );
  }
  svg.append(group);
}

function successChart(stats, now) {
  const svg = chartFrame('Success rate per hour, last 24 hours', 'success-chart');
  svg.dataset.succeeded = String(stats.succeeded);
  svg.dataset.failed = String(stats.failed);
  stats.buckets.forEach((bucket, index) => {
    const finished = bucket.succeeded + bucket.failed;
    const label = bucketLabel(index, now);
    const pending = bucket.pending ? `, ${bucket.pending} pending` : '';
    if (finished === 0) {
      bar(svg, index, [[0, 'bar-empty']], `${label}: no finished deliveries${pending}`);
      return;
    }
    const rate = bucket.succeeded / finished;
    // Full height whenever something finished: green for the share that succeeded, red above it.
    const parts = [];
    if (bucket.succeeded) parts.push([rate, 'bar-ok']);
    if (bucket.failed) parts.push([1 - rate, 'bar-bad']);
    bar(
      svg,
      index,
      parts,
      `${label}: ${bucket.succeeded}/${finished} succeeded (${Math.round(rate * 100)}%)${pending}`,
    );
  });
  return svg;
}

function latencyChart(stats, now) {
  const svg = chartFrame('Attempt latency per hour, last 24 hours', 'latency-chart');
  svg.dataset.attempts = String(stats.all.length);
  const averages = stats.buckets.map((durations) =>
    durations.length ? durations.reduce((sum, value) => sum + value, 0) / durations.length : 0,
  );
  const top = Math.max(1, ...averages);
  stats.buckets.forEach((durations, index) => {
    const label = bucketLabel(index, now);
    if (durations.length === 0) {
      bar(svg, index, [[0, 'bar-empty']], `${label}: no attempts`);
      return;
    }
    const max = Math.max(...durations);
    bar(
      svg,
      index,
      [[averages[index] / top, 'bar-latency']],
      `${label}: average ${ms(averages[index])}, max ${ms(max)}, ${durations.length} attempts`,
    );
  });
  return svg;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function webhookRow(webhook) {
  const selected = webhook.id === state.selectedWebhook;
  const open = el(
    'button',
    { className: 'link uri', testid: 'webhook-open', title: webhook.uri },
    webhook.uri,
  );
  open.type = 'button';
  open.addEventListener('click', () => navigate(webhook.id));
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

function renderWebhooks(page) {
  const list = $('webhook-list');
  state.rows.clear();
  list.replaceChildren(...page.data.map(webhookRow));
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

async function renderStats(webhookId, page, generation) {
  const slots = state.rows.get(webhookId);
  if (!slots) return;
  const now = Date.now();
  const success = successStats(page, now);
  const finished = success.succeeded + success.failed;
  slots.success.replaceChildren(successChart(success, now));
  const note = success.truncated ? ` (latest ${page.data.length})` : '';
  const pending = success.pending ? `, ${success.pending} pending` : '';
  slots.successText.textContent =
    finished === 0
      ? `no finished deliveries${pending}`
      : `${Math.round((success.succeeded / finished) * 100)}% (${success.succeeded}/${finished})${pending}${note}`;

  const latency = await latencyStats(webhookId, success.recent, now);
  if (generation !== state.generation || state.rows.get(webhookId) !== slots) return;
  slots.latency.replaceChildren(latencyChart(latency, now));
  const sorted = [...latency.all].sort((a, b) => a - b);
  slots.latencyText.textContent = sorted.length
    ? `p50 ${ms(percentile(sorted, 0.5))}, p95 ${ms(percentile(sorted, 0.95))}`
    : 'no attempts';
}

function deliveryRow(webhookId, delivery) {
  const open = el('button', { className: 'link', testid: 'delivery-open' }, delivery.event);
  open.type = 'button';
  open.addEventListener('click', (event) => {
    event.stopPropagation();
    navigate(webhookId, delivery.id);
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
  row.addEventListener('click', () => navigate(webhookId, delivery.id));
  return row;
}

function renderDeliveries(webhookId) {
  const section = $('webhook-detail');
  const webhook = state.webhooks.find((candidate) => candidate.id === webhookId);
  section.hidden = false;
  $('webhook-detail-uri').textContent = webhook ? webhook.uri : `webhook ${webhookId}`;
  section.dataset.webhookId = webhookId;
  const page = state.deliveries.get(webhookId);
  const rows = page ? page.data.map((delivery) => deliveryRow(webhookId, delivery)) : [];
  $('delivery-rows').replaceChildren(...rows);
  $('deliveries-empty').hidden = !page || page.data.length > 0;
}

function renderDeliveryDetail(detail) {
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

function hideDeliveryDetail() {
  $('delivery-detail').hidden = true;
}

// ---------------------------------------------------------------------------------------------
// Loading

/** Reloads one webhook's deliveries, then its table, its open delivery and its charts. */
async function refreshWebhook(webhookId, generation = state.generation) {
  const page = await limited(() => listDeliveries(webhookId));
  if (generation !== state.generation) return page;
  state.deliveries.set(webhookId, page);
  if (state.selectedWebhook === webhookId) {
    renderDeliveries(webhookId);
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

async function refresh() {
  if (!state.key) return showLogin();
  const generation = ++state.generation;
  const button = $('refresh');
  button.disabled = true;
  try {
    const page = await listWebhooks();
    if (generation !== state.generation) return;
    state.webhooks = page.data;
    renderWebhooks(page);
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
async function follow(webhookId, deliveryId) {
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
// Navigation: #/webhooks/{id} and #/webhooks/{id}/deliveries/{id}, so reload and back work

function parseHash() {
  const match = /^#\/webhooks\/(\d+)(?:\/deliveries\/(\d+))?$/.exec(location.hash);
  return { webhookId: match?.[1] ?? null, deliveryId: match?.[2] ?? null };
}

function navigate(webhookId, deliveryId = null) {
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
  if (state.deliveries.has(webhookId)) renderDeliveries(webhookId);
  if (!deliveryId) hideDeliveryDetail();
  if (!state.key) return;
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

// ---------------------------------------------------------------------------------------------
// Session

function showLogin() {
  $('login').hidden = false;
  $('board').hidden = true;
  $('session-actions').hidden = true;
  $('api-key').focus();
}

function showBoard() {
  $('login').hidden = true;
  $('board').hidden = false;
  $('session-actions').hidden = false;
}

function signOut(message) {
  state.key = '';
  state.generation++;
  sessionStorage.removeItem(KEY_STORAGE);
  state.deliveries.clear();
  state.details.clear();
  $('webhook-list').replaceChildren();
  $('delivery-rows').replaceChildren();
  showLogin();
  if (message) notice(message, 'error');
}

function start() {
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('api-key');
    const key = input.value.trim();
    if (!key) return;
    input.value = '';
    state.key = key;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('notice').hidden = true;
    void refresh();
  });
  $('forget-key').addEventListener('click', () => signOut());
  $('refresh').addEventListener('click', () => void refresh());
  $('redeliver').addEventListener('click', async () => {
    const webhookId = state.selectedWebhook;
    const deliveryId = state.selectedDelivery;
    if (!webhookId || !deliveryId) return;
    const button = $('redeliver');
    button.disabled = true;
    try {
      await redeliver(webhookId, deliveryId);
      notice(`Delivery ${deliveryId} queued for redelivery.`);
      await follow(webhookId, deliveryId);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401))
        notice(`Redeliver failed: ${error.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
  $('send-test').addEventListener('click', async () => {
    const webhookId = state.selectedWebhook;
    if (!webhookId) return;
    const button = $('send-test');
    button.disabled = true;
    try {
      const delivery = await sendTest(webhookId);
      notice(`Test ping queued as delivery ${delivery.id}.`);
      navigate(webhookId, id(delivery.id));
      await follow(webhookId, id(delivery.id));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401))
        notice(`Send test failed: ${error.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
  window.addEventListener('hashchange', applyRoute);
  window.addEventListener('popstate', applyRoute);

  // refresh() loads the webhook and delivery the address names, when there are any.
  const { webhookId, deliveryId } = parseHash();
  state.selectedWebhook = webhookId;
  state.selectedDelivery = deliveryId;
  if (!state.key) return showLogin();
  void refresh();
}

start();
