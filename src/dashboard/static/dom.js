// @ts-check
// Building the page. Everything shown is made with createElement and textContent: webhook URIs,
// receiver answers, headers and payloads come from outside and must never be parsed as markup.

/**
 * What an element may hold: text, numbers (as text), nodes, and lists of them; null, undefined
 * and false are left out.
 * @typedef {Leaf | Children} Child
 */
/** @typedef {Node | string | number | false | null | undefined} Leaf */
/** @typedef {Child[]} Children */

/**
 * @typedef {object} ElementOptions
 * @property {string} [className]
 * @property {string} [testid] `data-testid`
 * @property {string} [title]
 * @property {Record<string, string>} [data] `data-*`, by dataset name
 * @property {Record<string, string | number | boolean | null | undefined>} [attrs] attributes;
 *   true sets an empty one, false, null and undefined none
 * @property {Record<string, (event: Event) => unknown>} [on] event handlers by event name
 */

/**
 * The element of the page with this id; throws when there is none.
 * @param {string} elementId
 * @returns {HTMLElement}
 */
export const $ = (elementId) => {
  const found = document.getElementById(elementId);
  if (!found) throw new Error(`#${elementId} is missing from the page`);
  return found;
};

/**
 * An element with options (className, testid, title, data, attrs, on: {event: handler}) and text
 * or child nodes; null and undefined children are left out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {ElementOptions} [options]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.testid) node.dataset.testid = options.testid;
  if (options.title) node.title = options.title;
  for (const [name, value] of Object.entries(options.data ?? {})) node.dataset[name] = value;
  for (const [name, value] of Object.entries(options.attrs ?? {})) {
    if (value !== undefined && value !== null && value !== false)
      node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [name, handler] of Object.entries(options.on ?? {}))
    node.addEventListener(name, handler);
  // Flattened to its leaves, however deep (the checker cannot follow a flat of a recursive type).
  for (const child of /** @type {Leaf[]} */ (/** @type {unknown[]} */ (children).flat(Infinity))) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

/**
 * A button (type button, not submit) that calls `onClick`.
 * @param {string} label
 * @param {(event: Event) => unknown} onClick
 * @param {ElementOptions} [options]
 */
export function button(label, onClick, options = {}) {
  const node = el('button', { ...options, on: { click: onClick } }, label);
  node.type = 'button';
  return node;
}

/**
 * A link inside the page (an address after #).
 * @param {string} href
 * @param {Child} text
 * @param {ElementOptions} [options]
 */
export const link = (href, text, options = {}) =>
  el('a', { ...options, attrs: { ...options.attrs, href } }, text);

export const DASH = '—';
/**
 * The value as text, a dash for null, undefined and ''.
 * @param {unknown} value
 */
export const show = (value) =>
  value === null || value === undefined || value === '' ? DASH : String(value);

/** @param {number | null | undefined} value milliseconds */
export const ms = (value) =>
  value === null || value === undefined
    ? DASH
    : value < 1000
      ? `${Math.round(value)} ms`
      : `${(value / 1000).toFixed(2)} s`;

/** @param {number | null | undefined} fraction 0 to 1 */
export const percent = (fraction) =>
  fraction === null || fraction === undefined
    ? DASH
    : `${fraction === 1 || fraction === 0 ? fraction * 100 : (fraction * 100).toFixed(1)}%`;

// ---------------------------------------------------------------------------------------------
// Times: in the viewer's zone, UTC on hover

const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'medium',
});

/**
 * "2026-12-01 10:00:00 UTC"
 * @typedef {string | number | Date} Instant an ISO 8601 string, ms since the epoch, or a Date
 * @param {Instant} value
 */
export function utc(value) {
  return new Date(value)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** @param {Instant} value */
export function localTime(value) {
  return dateTimeFormat.format(new Date(value));
}

/**
 * How long ago, in words: "just now", "5 min ago", "3 h ago", "2 d ago"; "in …" when ahead.
 * @param {Instant} value
 * @param {number} [now] ms since the epoch
 */
export function relative(value, now = Date.now()) {
  const seconds = Math.round((new Date(value).getTime() - now) / 1000);
  const size = Math.abs(seconds);
  const words =
    size < 45
      ? null
      : size < 3600
        ? `${Math.round(size / 60)} min`
        : size < 86_400
          ? `${Math.round(size / 3600)} h`
          : `${Math.round(size / 86_400)} d`;
  if (words === null) return seconds >= 0 ? 'in a moment' : 'just now';
  return seconds >= 0 ? `in ${words}` : `${words} ago`;
}

/**
 * A <time> in the viewer's zone, the UTC instant in its title; a dash for null.
 * @param {Instant | null | undefined} value
 * @param {{ relative?: boolean, testid?: string }} [options] `relative`: how long ago, too
 * @returns {HTMLElement}
 */
export function time(value, options = {}) {
  if (value === null || value === undefined) return el('span', { className: 'muted' }, DASH);
  const date = new Date(value);
  const text = options.relative ? `${localTime(date)} (${relative(date)})` : localTime(date);
  return el(
    'time',
    { testid: options.testid, title: utc(date), attrs: { datetime: date.toISOString() } },
    text,
  );
}

/**
 * The value of a datetime-local input for an instant, in the viewer's zone.
 * @param {Instant} value
 */
export function toLocalInput(value) {
  const date = new Date(value);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

/**
 * The instant a datetime-local input names (the viewer's zone), as ISO 8601 UTC; '' for ''.
 * @param {string} value
 */
export const fromLocalInput = (value) => (value ? new Date(value).toISOString() : '');

// ---------------------------------------------------------------------------------------------
// Notices

/** @type {number | undefined} */
let noticeTimer;
/**
 * A line under the top bar: info goes away by itself, errors stay until the next one.
 * @param {string} message
 * @param {'info' | 'error'} [kind]
 */
export function notice(message, kind = 'info') {
  const box = $('notice');
  clearTimeout(noticeTimer);
  box.textContent = message;
  box.className = `notice ${kind}`;
  box.dataset.kind = kind;
  box.hidden = false;
  if (kind === 'info') noticeTimer = setTimeout(() => (box.hidden = true), 8_000);
}

export function clearNotice() {
  $('notice').hidden = true;
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/**
 * A delivery's or channel's status as a badge.
 * @param {string} status
 * @param {string} [testid]
 */
export function statusBadge(status, testid) {
  return el('span', { className: `badge status-${status}`, testid }, status);
}

/**
 * A table of names and values (headers), or `empty` when there are none.
 * @param {Record<string, string> | null | undefined} headers
 * @param {string} testid
 * @param {string} empty
 */
export function headerTable(headers, testid, empty) {
  const entries = headers ? Object.entries(headers) : [];
  if (entries.length === 0) return el('p', { className: 'muted small', testid }, empty);
  return el(
    'table',
    { className: 'headers', testid },
    el(
      'tbody',
      {},
      entries.map(([name, value]) =>
        el(
          'tr',
          { data: { header: name.toLowerCase() } },
          el('th', { attrs: { scope: 'row' } }, name),
          el('td', {}, el('code', {}, String(value))),
        ),
      ),
    ),
  );
}

/**
 * A term/description list of [term, value] pairs; pairs with a null value are left out.
 * @param {[string, Child][]} pairs
 * @param {string} testid
 */
export function summaryList(pairs, testid) {
  return el(
    'dl',
    { className: 'summary', testid },
    pairs
      .filter(([, value]) => value !== null)
      .flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]),
  );
}

/**
 * An "Older" button for a list paged by cursor: `show(page)` adds a page's items, `load(cursor)`
 * fetches the next one. Answers the button and a function that shows a page (the first too).
 * @template {{ nextCursor: string | null }} P
 * @param {string} what the items, in words
 * @param {(cursor: string | undefined) => Promise<P>} load
 * @param {(page: P) => void} show
 * @returns {{ older: HTMLButtonElement, append: (page: P) => void }}
 */
export function olderButton(what, load, show) {
  const older = button(
    'Older',
    async () => {
      older.disabled = true;
      try {
        append(await load(older.dataset.cursor));
      } catch (error) {
        notice(`Could not load older ${what}: ${/** @type {Error} */ (error).message}`, 'error');
      } finally {
        older.disabled = false;
      }
    },
    { className: 'secondary older', testid: 'older' },
  );
  /** @param {P} page */
  const append = (page) => {
    show(page);
    older.hidden = !page.nextCursor;
    older.dataset.cursor = page.nextCursor ?? '';
  };
  return { older, append };
}

/** The loading placeholder and the error box a view shows in place of itself. */
export const loading = () => el('p', { className: 'muted', testid: 'loading' }, 'Loading…');

/**
 * @param {string} what what could not be loaded, in words
 * @param {unknown} error
 */
export function errorBox(what, error) {
  const box = el(
    'div',
    { className: 'error-box', testid: 'view-error', attrs: { role: 'alert' } },
    el('strong', {}, `Could not load ${what}.`),
    ' ',
    explain(error),
  );
  return box;
}

/**
 * An API error in words an operator can act on.
 * @param {unknown} error an ApiError, or anything else thrown
 * @returns {string}
 */
export function explain(error) {
  const apiError = /** @type {Partial<import('./api.js').ApiError> | null | undefined} */ (error);
  const status = apiError?.status;
  if (status === 0) return 'The service could not be reached; check the connection and refresh.';
  if (status === 404 && apiError?.path && /^\/v1\/webhook-summary/.test(apiError.path))
    return 'The service has no webhook summary route (404): it is older than this page. Upgrade the service.';
  if (status === 404) return `Not found: ${apiError?.message}.`;
  if (status === 429) return 'The API rate limit was reached; wait a little and refresh.';
  if (status === 503) return 'The service is unavailable right now (its database may be down).';
  return apiError?.message ?? String(error);
}
