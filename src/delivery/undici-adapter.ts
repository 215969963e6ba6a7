import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { type Dispatcher, request } from 'undici';

/**
 * An axios adapter that sends through an undici dispatcher: HttpService stays the interface,
 * undici does the work (its cost per request is a fraction of axios's own http adapter). The
 * answer's body is handed back as undici's stream, unread: the caller decides how much to read.
 */
export function undiciAdapter(dispatcher: Dispatcher): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
    const response = await request(config.url!, {
      method: (config.method ?? 'get').toUpperCase(),
      headers: config.headers.toJSON(true),
      body: config.data as string | Buffer | undefined,
      dispatcher,
      signal: config.signal as AbortSignal | undefined,
    });
    return {
      data: response.body,
      status: response.statusCode,
      statusText: '',
      headers: response.headers,
      config,
      request: undefined,
    };
  };
}
