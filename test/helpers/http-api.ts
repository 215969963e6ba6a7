export interface RequestOptions {
  body?: unknown;
  /** Raw body bytes, sent as they are. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  /** false: no Authorization header; a string: that key. Default: the client's key. */
  apiKey?: string | false;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** What the set-up helpers (createWebhook, createChannel, ingest) need of a service. */
export interface Requester {
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
}

/** fetch() to `base` + `path`, with `defaultKey` (unless the options say otherwise) and JSON handled. */
export async function send(
  base: string,
  defaultKey: string | undefined,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.apiKey === undefined ? defaultKey : options.apiKey;
  if (key) headers.authorization = `Bearer ${key}`;
  let body: string | Buffer | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

export interface HttpApi extends Requester {
  base: string;
}

/**
 * The service at `base` (e.g. http://127.0.0.1:3000, one started as its own process) over plain
 * HTTP, with `apiKey` on every call unless a call says otherwise.
 */
export function httpApi(base: string, apiKey?: string): HttpApi {
  return { base, request: (method, path, options) => send(base, apiKey, method, path, options) };
}
