// Building the page. Everything shown is made with createElement and textContent: webhook URIs,
// receiver answers, headers and payloads come from outside and must never be parsed as markup.

export const $ = (elementId) => {
  const found = document.getElementById(elementId);
  if (!found) throw new Error(`#${elementId} is missing from the page`);
  return found;
};

/**
 * An element with options (className, testid, title, data, attrs, on: {event: handler}) and text
 * or child nodes; null and undefined children are left out.
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
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

export function button(label, onClick, options = {}) {
  const node = el('button', { ...options, on: { click: onClick } }, label);
  node.type = 'button';
  return node;
}

/** A link inside the page (an address after #). */
export const link = (href, text, options = {}) =>
  el('a', { ...options, attrs: { ...options.attrs, href } }, text);

export const DASH = '—';
export const show = (value) =>
  value === null || value === undefined || value === '' ? DASH : String(value);

export const ms = (value) =>
  value === null || value === undefined
    ? DASH
    : value < 1000
      ? `${Math.round(value)} ms`
      : `${(value / 1000).toFixed(2)} s`;

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

/** "2026-12-01 10:00:00 UTC" */
export function utc(value) {
  return new Date(value)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

export function localTime(value) {
  return dateTimeFormat.format(new Date(value));
}

/** How long ago, in words: "just now", "5 min ago", "3 h ago", "2 d ago"; "in …" when ahead. */
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

/** A <time> in the viewer's zone, the UTC instant in its title; a dash for null. */
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

/** The value of a datetime-local input for an instant, in the viewer's zone. */
export function toLocalInput(value) {
  const date = new Date(value);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

/** The instant a datetime-local input names (the viewer's zone), as ISO 8601 UTC; '' for ''. */
export const fromLocalInput = (value) => (value ? new Date(value).toISOString() : '');

// ---------------------------------------------------------------------------------------------
// Notices

let noticeTimer;
/** A line under the top bar: info goes away by itself, errors stay until the next one. */
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

export function statusBadge(status, testid) {
  return el('span', { className: `badge status-${status}`, testid }, status);
}

/** A table of names and values (headers), or `empty` when there are none. */
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

/** A term/description list of [term, value] pairs; pairs with a null value are left out. */
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
 */
export function olderButton(what, load, show) {
  const older = button(
    'Older',
    async () => {
      older.disabled = true;
      try {
        append(await load(older.dataset.cursor));
      } catch (error) {
        notice(`Could not load older ${what}: ${error.message}`, 'error');
      } finally {
        older.disabled = false;
      }
    },
    { className: 'secondary older', testid: 'older' },
  );
  const append = (page) => {
    show(page);
    older.hidden = !page.nextCursor;
    older.dataset.cursor = page.nextCursor ?? '';
  };
  return { older, append };
}

/** The loading placeholder and the error box a view shows in place of itself. */
export const loading = () => el('p', { className: 'muted', testid: 'loading' }, 'Loading…');

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

/** An API error in words an operator can act on. */
export function explain(error) {
  const status = error?.status;
  if (status === 0) return 'The service could not be reached; check the connection and refresh.';
  if (status === 404 && error.path && /^\/v1\/webhook-summary/.test(error.path))
    return 'The service has no webhook summary route (404): it is older than this page. Upgrade the service.';
  if (status === 404) return `Not found: ${error.message}.`;
  if (status === 429) return 'The API rate limit was reached; wait a little and refresh.';
  if (status === 503) return 'The service is unavailable right now (its database may be down).';
  return error?.message ?? String(error);
}
