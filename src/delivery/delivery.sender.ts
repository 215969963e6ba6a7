import { HttpService } from '@nestjs/axios';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AxiosError } from 'axios';
import { Agent as HttpAgent, type AgentOptions as HttpAgentOptions } from 'node:http';
import { isIP } from 'node:net';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import type { AppConfig } from '../config/app-config.js';
import { DestinationPolicy } from '../destination/destination-policy.js';
import { VERSION } from '../config/version.js';
import type { SigningSecrets } from '../webhook/webhook.types.js';
import { signatureHeader } from './signature.js';

export const RESPONSE_BODY_LIMIT = 64 * 1024;

export interface Message {
  uri: string;
  messageId: string;
  /** The stored body, sent byte for byte as it was signed. */
  body: string;
  secrets: SigningSecrets;
}

export interface AttemptResult {
  at: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
  retryAfter?: string;
}

/**
 * Sends one signed attempt: keep-alive agents, no redirects followed, a total timeout, the answer
 * read up to 64 KiB. Never throws: every outcome becomes an AttemptResult.
 */
@Injectable()
export class DeliverySender implements OnApplicationShutdown {
  private readonly timeoutMs: number;
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private readonly userAgent = `channel-webhooks/${VERSION}`;

  constructor(
    private readonly http: HttpService,
    private readonly destinations: DestinationPolicy,
    config: ConfigService<{ app: AppConfig }, true>,
  ) {
    const { delivery } = config.get('app', { infer: true });
    this.timeoutMs = delivery.timeoutMs;
    // Every connection resolves through the SSRF guard and goes to the address it checked.
    const agentOptions = {
      keepAlive: true,
      maxSockets: delivery.concurrency,
      maxFreeSockets: 256,
      lookup: destinations.lookup as unknown as HttpAgentOptions['lookup'],
    };
    this.httpAgent = new HttpAgent(agentOptions);
    this.httpsAgent = new HttpsAgent(agentOptions);
  }

  onApplicationShutdown(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  async send(message: Message): Promise<AttemptResult> {
    const at = new Date();
    const started = performance.now();
    const timestamp = Math.floor(at.getTime() / 1000);
    const signal = AbortSignal.timeout(this.timeoutMs);
    const elapsed = () => Math.round(performance.now() - started);
    // Literal addresses are connected to without a lookup: check them here.
    const literal = new URL(message.uri).hostname.replace(/^\[|\]$/g, '');
    const denial = isIP(literal) !== 0 ? this.destinations.denialOf(literal) : undefined;
    if (denial) {
      return {
        at,
        statusCode: null,
        durationMs: 0,
        error: `destination denied: ${denial}`,
        responseBody: null,
      };
    }
    try {
      const response = await this.http.axiosRef.request<Readable>({
        method: 'POST',
        url: message.uri,
        data: message.body,
        headers: {
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
        },
        transformRequest: [(data: unknown) => data],
        responseType: 'stream',
        maxRedirects: 0,
        validateStatus: () => true,
        timeout: this.timeoutMs,
        signal,
        httpAgent: this.httpAgent,
        httpsAgent: this.httpsAgent,
        decompress: true,
        proxy: false,
      });
      const responseBody = await readCapped(response.data, RESPONSE_BODY_LIMIT, signal);
      const retryAfter = response.headers['retry-after'] as string | undefined;
      const statusCode = response.status;
      const ok = statusCode >= 200 && statusCode < 300;
      return {
        at,
        statusCode,
        durationMs: elapsed(),
        error: ok
          ? null
          : describeStatus(statusCode, response.headers.location as string | undefined),
        responseBody,
        retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
      };
    } catch (error) {
      return {
        at,
        statusCode: null,
        durationMs: elapsed(),
        error: describeError(error, signal, this.timeoutMs),
        responseBody: null,
      };
    }
  }
}

function describeStatus(statusCode: number, location: string | undefined): string {
  if (statusCode >= 300 && statusCode < 400) {
    return `HTTP ${statusCode}: redirects are not followed${location ? ` (Location: ${location.slice(0, 200)})` : ''}`;
  }
  return `HTTP ${statusCode}`;
}

function describeError(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `timed out after ${timeoutMs} ms`;
  const code = error instanceof AxiosError ? error.code : (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ERR_DESTINATION_DENIED':
      return message;
    case 'ECONNRESET':
      return 'connection reset by the receiver';
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

/** Reads at most `limit` bytes of the answer, then lets the rest go (the socket is not reused). */
async function readCapped(stream: Readable, limit: number, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  return new Promise<string>((resolve, reject) => {
    const finish = (truncated: boolean) => {
      cleanup();
      if (truncated) stream.destroy();
      resolve(Buffer.concat(chunks).subarray(0, limit).toString('utf8'));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) finish(true);
    };
    const onEnd = () => finish(false);
    const onError = (error: Error) => {
      cleanup();
      // What arrived before a reset is still worth keeping for the log.
      if (chunks.length > 0) resolve(Buffer.concat(chunks).subarray(0, limit).toString('utf8'));
      else reject(error);
    };
    const onAbort = () => {
      cleanup();
      stream.destroy();
      reject(new Error('aborted'));
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    signal.addEventListener('abort', onAbort);
  });
}
