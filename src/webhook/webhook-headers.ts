/** A webhook's own headers, sent on every attempt: name → value, names as the caller wrote them. */
export type WebhookHeaders = Readonly<Record<string, string>>;

export const MAX_WEBHOOK_HEADERS = 20;
export const MAX_HEADER_NAME_LENGTH = 256;
export const MAX_HEADER_VALUE_LENGTH = 4096;
/**
 * Names and values together: with the service's own headers the request stays well inside the
 * 8 KiB per line and 16 KiB in all that common servers (nginx, Node) accept.
 */
export const MAX_HEADERS_SIZE = 8192;

/** What answers show for every value: the values are credentials, written but never read back. */
export const MASKED_HEADER_VALUE = '********';

export const NO_HEADERS: WebhookHeaders = Object.freeze({});

/** RFC 9110 `token`: the characters a field name may have. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * Visible ASCII, with spaces and tabs inside. Node's HTTP client would send other characters as
 * Latin-1 bytes or refuse them, and it trims the ends, so what it sends would not be what was set.
 */
const VALUE = /^(?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?$/;

/** Names the service sets itself: the signature and the body's framing are its own. */
const OWN = new Set(['content-type', 'content-length', 'host', 'user-agent']);
/** Hop-by-hop names: about one connection, not the message; the HTTP client refuses most of them. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** Why a header name may not be set by a webhook, or undefined when it may. */
function reservation(lowerName: string): string | undefined {
  if (lowerName.startsWith('webhook-')) return 'webhook-* headers carry the signature';
  if (OWN.has(lowerName)) return 'the service sets it';
  if (HOP_BY_HOP.has(lowerName) || lowerName.startsWith('proxy-'))
    return 'hop-by-hop headers cannot be set';
  return undefined;
}

/**
 * Why `value` is not an acceptable set of webhook headers, or undefined when it is: a plain object
 * of at most 20 names (tokens, not reserved, unique ignoring case) to string values of visible
 * ASCII, each value at most 4096 characters, names and values at most 8192 in all.
 */
export function checkWebhookHeaders(value: unknown, field = 'headers'): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `${field} must be an object of header names to string values`;
  const entries = Object.entries(value);
  if (entries.length > MAX_WEBHOOK_HEADERS)
    return `${field} must have at most ${MAX_WEBHOOK_HEADERS} entries`;
  const seen = new Map<string, string>();
  let size = 0;
  for (const [name, headerValue] of entries) {
    const shown = JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
    if (name.length > MAX_HEADER_NAME_LENGTH)
      return `${field} has a name longer than ${MAX_HEADER_NAME_LENGTH} characters: ${shown}`;
    if (!TOKEN.test(name)) return `${field} has an invalid header name ${shown}`;
    const lower = name.toLowerCase();
    const reason = reservation(lower);
    if (reason) return `${field} may not set ${shown}: ${reason}`;
    const earlier = seen.get(lower);
    if (earlier !== undefined)
      return `${field} names ${JSON.stringify(earlier)} and ${shown}: header names ignore case`;
    seen.set(lower, name);
    const path = `${field}.${name}`;
    if (typeof headerValue !== 'string') return `${path} must be a string`;
    if (headerValue.length > MAX_HEADER_VALUE_LENGTH)
      return `${path} must be at most ${MAX_HEADER_VALUE_LENGTH} characters`;
    if (!VALUE.test(headerValue))
      return `${path} must be visible ASCII, with spaces or tabs only between other characters (no line breaks or control characters)`;
    size += name.length + headerValue.length;
  }
  if (size > MAX_HEADERS_SIZE)
    return `${field} must be at most ${MAX_HEADERS_SIZE} characters in all (names and values)`;
  return undefined;
}

/** The stored form: JSON text, or null for none. */
export function storedHeaders(headers: WebhookHeaders | null | undefined): string | null {
  return headers && Object.keys(headers).length > 0 ? JSON.stringify(headers) : null;
}

/**
 * The headers of a stored column. Text that is not a JSON object of strings (an edit by hand) is
 * read as far as it is valid rather than thrown, so one bad row cannot stop every delivery.
 */
export function readStoredHeaders(text: string | null): WebhookHeaders {
  if (text === null || text === '') return NO_HEADERS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return NO_HEADERS;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return NO_HEADERS;
  const headers = Object.fromEntries(
    Object.entries(parsed).filter(
      (entry): entry is [string, string] =>
        typeof entry[1] === 'string' &&
        TOKEN.test(entry[0]) &&
        !reservation(entry[0].toLowerCase()),
    ),
  );
  return Object.freeze(headers);
}

/** The names of stored headers, each with the mask for a value. */
export function maskedHeaders(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, MASKED_HEADER_VALUE]));
}
