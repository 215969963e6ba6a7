import { HttpService } from '@nestjs/axios';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AxiosError, type AxiosAdapter, type AxiosResponse } from 'axios';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import type { AppConfig } from '../config/app-config.js';
import { DestinationPolicy } from '../destination/destination-policy.js';
import { VERSION } from '../config/version.js';
import { maskedHeaders, type WebhookHeaders } from '../webhook/webhook-headers.js';
import type { SigningSecrets } from '../webhook/webhook.types.js';
import { Deadlines } from './deadlines.js';
import { readKept } from './response-body.js';
import { signatureHeader } from './signature.js';
import {
  type CheckedLookup,
  type DeliveryDispatcher,
  directDispatcher,
  proxiedDispatcher,
} from './proxy-dispatcher.js';
import { undiciAdapter } from './undici-adapter.js';
import { InjectAppConfig } from '../config/app-config.module.js';

/** Of an answer's headers, the first this many are kept, and at most this many characters in all. */
export const RESPONSE_HEADERS_MAX = 50;
export const RESPONSE_HEADERS_SIZE = 8 * 1024;
const LITERAL_CACHE = 10_000;
/**
 * An idle pooled connection is dropped after this long, before common servers close theirs
 * (Node's default keep-alive is 5 s); undici also honours a shorter `Keep-Alive: timeout` hint.
 */
const KEEP_ALIVE_MS = 4_000;
/** Errors of a connection that closed before any byte of the answer came. */
const CLOSED_BEFORE_ANSWER = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

export interface Message {
  uri: string;
  messageId: string;
  /** The stored body, sent byte for byte as it was signed. */
  body: string;
  secrets: SigningSecrets;
  /** The webhook's own headers; the service's own (all reserved names) are set after them. */
  headers: WebhookHeaders;
  /** A test (POST /v1/webhook/{id}/test): sent with `webhook-test: true`. */
  test?: boolean;
  /** The attempt's span, with tracing on: sent as `traceparent` (W3C trace context). */
  traceParent?: string;
}

export interface AttemptResult {
  at: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The answer's body, its first DELIVERY_RESPONSE_MAX_BYTES (…_SUCCESS for a 2xx) in UTF-8. */
  responseBody: string | null;
  /** The answer's body was longer than what `responseBody` keeps. */
  responseTruncated?: boolean;
  /** The headers sent, as JSON text, custom values masked; null when nothing was sent. */
  requestHeaders: string | null;
  /** The answer's headers (see RESPONSE_HEADERS_MAX), as JSON text; null when no answer came. */
  responseHeaders: string | null;
  retryAfter?: string;
}

/**
 * Sends one signed attempt through HttpService, over undici: connections kept alive per origin,
 * no redirects followed, a total timeout, the answer's body kept up to a byte cap (a smaller one
 * for a 2xx). Never throws: every outcome becomes an AttemptResult.
 */
@Injectable()
export class DeliverySender implements OnApplicationShutdown {
  private readonly timeoutMs: number;
  private readonly responseMaxBytes: { failure: number; success: number };
  private readonly agent: DeliveryDispatcher;
  private readonly adapter: AxiosAdapter;
  /**
   * For a request sent again after a pooled connection failed: a connection of its own, closed
   * after it (`Connection: close`), so this pool never holds an idle one.
   */
  private readonly freshAgent: DeliveryDispatcher;
  /**
   * With DELIVERY_PROXY, the guard's judgement of an http callback's host, asked before the
   * proxy is (which then connects by the name); undefined without a proxy.
   */
  private readonly checkedBeforeProxy: CheckedLookup | undefined;
  private readonly freshAdapter: AxiosAdapter;
  private readonly deadlines: Deadlines;
  private readonly userAgent = `channel-webhooks/${VERSION}`;
  /** uri → why its literal address is denied ('' when it is not, or is a name). */
  private readonly literalDenials = new Map<string, string>();
  /** A webhook's headers (one frozen object per version of it) → their masked form, for the log. */
  private readonly masked = new WeakMap<WebhookHeaders, Record<string, string>>();

  constructor(
    private readonly http: HttpService,
    private readonly destinations: DestinationPolicy,
    @InjectAppConfig() config: AppConfig,
  ) {
    const { delivery } = config;
    this.timeoutMs = delivery.timeoutMs;
    this.responseMaxBytes = delivery.responseMaxBytes;
    const options = {
      connections: delivery.concurrency,
      headersTimeout: delivery.timeoutMs,
      bodyTimeout: delivery.timeoutMs,
    };
    const pooled = {
      ...options,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
      keepAliveTimeoutThreshold: 1_000,
    };
    const proxy = delivery.proxy;
    if (proxy) {
      const checked = checkedLookup(destinations);
      this.checkedBeforeProxy = checked;
      this.agent = proxiedDispatcher(proxy, pooled, checked);
      this.freshAgent = proxiedDispatcher(proxy, options, checked);
    } else {
      // Every connection resolves through the SSRF guard and goes to the address it checked.
      const connect = { lookup: destinations.lookup as never };
      this.agent = directDispatcher({ ...pooled, connect });
      this.freshAgent = directDispatcher({ ...options, connect });
    }
    this.adapter = undiciAdapter(this.agent.dispatcher);
    this.freshAdapter = undiciAdapter(this.freshAgent.dispatcher);
    this.deadlines = new Deadlines(delivery.timeoutMs);
  }

  async onApplicationShutdown(): Promise<void> {
    this.deadlines.close();
    await Promise.all([this.agent.destroy(), this.freshAgent.destroy()]);
  }

  /**
   * Literal addresses are connected to without a lookup: they are checked here (once per URI;
   * the answer cannot change while the service runs).
   */
  private literalDenial(uri: string): string | undefined {
    let denial = this.literalDenials.get(uri);
    if (denial === undefined) {
      const host = new URL(uri).hostname.replace(/^\[|\]$/g, '');
      denial = (isIP(host) !== 0 ? this.destinations.denialOf(host) : undefined) ?? '';
      if (this.literalDenials.size >= LITERAL_CACHE) this.literalDenials.clear();
      this.literalDenials.set(uri, denial);
    }
    return denial === '' ? undefined : denial;
  }

  async send(message: Message): Promise<AttemptResult> {
    const at = new Date();
    const started = performance.now();
    const timestamp = Math.floor(at.getTime() / 1000);
    const elapsed = () => Math.round(performance.now() - started);
    const denial = this.literalDenial(message.uri);
    if (denial) {
      return unsentAttempt(`destination denied: ${denial}`, at);
    }
    const own: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': this.userAgent,
      'webhook-id': message.messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(
        message.secrets,
        message.messageId,
        timestamp,
        message.body,
      ),
    };
    if (message.test) own['webhook-test'] = 'true';
    if (message.traceParent) own.traceparent = message.traceParent;
    const requestHeaders = JSON.stringify({ ...this.maskedOf(message.headers), ...own });
    const { signal, done } = this.deadlines.start();
    try {
      const response = await this.post(message, own, signal);
      const retryAfter = response.headers['retry-after'] as string | undefined;
      const statusCode = response.status;
      const ok = statusCode >= 200 && statusCode < 300;
      const { success, failure } = this.responseMaxBytes;
      // The rest of a 2xx answer is read (up to the larger cap) so the connection stays usable.
      const kept = await readKept(response.data, ok ? success : failure, failure);
      return {
        at,
        statusCode,
        durationMs: elapsed(),
        error: ok
          ? null
          : describeStatus(statusCode, response.headers.location as string | undefined),
        responseBody: kept.text,
        responseTruncated: kept.truncated,
        requestHeaders,
        // undici's headers, as the adapter hands them on
        responseHeaders: recordedHeaders(response.headers as IncomingHttpHeaders),
        retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
      };
    } catch (error) {
      return {
        at,
        statusCode: null,
        durationMs: elapsed(),
        error: describeError(error, signal, this.timeoutMs),
        responseBody: null,
        requestHeaders,
        responseHeaders: null,
      };
    } finally {
      done();
    }
  }

  /**
   * The POST itself, within the attempt's deadline. A pooled connection that the receiver closed
   * or reset before any byte of its answer (it closed an idle connection as this one reused it)
   * costs no attempt: the request goes again at once, on a new connection. (A receiver that hangs
   * up on a fresh connection too gets it twice within the attempt: at least once, as always.)
   */
  private async post(
    message: Message,
    own: Record<string, string>,
    signal: AbortSignal,
  ): Promise<AxiosResponse<Readable>> {
    if (this.checkedBeforeProxy && message.uri.startsWith('http:')) {
      const host = new URL(message.uri).hostname;
      if (isIP(host.replace(/^\[|\]$/g, '')) === 0) await this.checkedBeforeProxy(host);
    }
    try {
      return await this.request(message, own, signal, this.adapter);
    } catch (error) {
      if (signal.aborted || !CLOSED_BEFORE_ANSWER.has(errorCode(error) ?? '')) throw error;
      return this.request(message, { ...own, connection: 'close' }, signal, this.freshAdapter);
    }
  }

  /** The webhook's headers with the service's own (`own`, reserved names) set after them. */
  private request(
    message: Message,
    own: Record<string, string>,
    signal: AbortSignal,
    adapter: AxiosAdapter,
  ): Promise<AxiosResponse<Readable>> {
    return this.http.axiosRef.request<Readable>({
      method: 'POST',
      url: message.uri,
      data: message.body,
      headers: { ...message.headers, ...own },
      adapter,
      validateStatus: null,
      signal,
    });
  }

  private maskedOf(headers: WebhookHeaders): Record<string, string> {
    let masked = this.masked.get(headers);
    if (!masked) {
      masked = maskedHeaders(Object.keys(headers));
      this.masked.set(headers, masked);
    }
    return masked;
  }
}

/**
 * An answer's headers as JSON text: names as received (lower case), repeated ones joined with
 * ", ", the first RESPONSE_HEADERS_MAX of them while they fit in RESPONSE_HEADERS_SIZE characters.
 */
export function recordedHeaders(headers: IncomingHttpHeaders): string {
  const kept: Record<string, string> = {};
  let count = 0;
  let size = 0;
  for (const name in headers) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    size += name.length + value.length;
    if (count === RESPONSE_HEADERS_MAX || size > RESPONSE_HEADERS_SIZE) break;
    kept[name] = value;
    count++;
  }
  return JSON.stringify(kept);
}

function errorCode(error: unknown): string | undefined {
  return error instanceof AxiosError ? error.code : (error as NodeJS.ErrnoException).code;
}

function describeStatus(statusCode: number, location: string | undefined): string {
  if (statusCode >= 300 && statusCode < 400) {
    return `HTTP ${statusCode}: redirects are not followed${location ? ` (Location: ${location.slice(0, 200)})` : ''}`;
  }
  return `HTTP ${statusCode}`;
}

function describeError(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `timed out after ${timeoutMs} ms`;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ERR_DESTINATION_DENIED':
    case 'ERR_DNS_LOOKUP':
      return message;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset by the receiver';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `timed out after ${timeoutMs} ms`;
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
      return 'host not found';
    case 'ECONNABORTED':
    case 'ETIMEDOUT':
      return `timed out after ${timeoutMs} ms`;
    default:
      return (code ? `${code}: ${message}` : message).slice(0, 1000);
  }
}

/** An attempt that sent nothing (its destination was refused, its webhook is inactive). */
export function unsentAttempt(error: string, at = new Date()): AttemptResult {
  return {
    at,
    statusCode: null,
    durationMs: 0,
    error,
    responseBody: null,
    requestHeaders: null,
    responseHeaders: null,
  };
}

/** The guard's lookup as a promise: the first checked address of a name, or why it is refused. */
function checkedLookup(destinations: DestinationPolicy): CheckedLookup {
  return (hostname) =>
    new Promise((resolve, reject) =>
      destinations.lookup(hostname, { all: false, family: 0 }, (error, address, family) =>
        error ? reject(error) : resolve({ address: address as string, family: family ?? 4 }),
      ),
    );
}
