import type { CreatedWebhookDto } from '../../src/webhook/dto/webhook-response.dto.js';
import type { Requester } from './http-api.js';

/** The body of POST /v1/webhook: a callback URI, its events (`all` when left out), any other field. */
export type NewWebhook = { uri: string; event?: string | string[] } & Record<string, unknown>;

/**
 * Subscribes a webhook as a test's setup, and answers it as created (with its secret). Throws
 * with the answer unless it is 201. Tests of the create call itself (validation, limits, framing,
 * the answer's shape) send it raw. `t`: an app of the testing module, or `httpApi(base, key)` for
 * a service started as its own process.
 */
export async function createWebhook(t: Requester, webhook: NewWebhook): Promise<CreatedWebhookDto> {
  const response = await t.request('POST', '/v1/webhook', { body: { event: 'all', ...webhook } });
  if (response.status !== 201)
    throw new Error(`create webhook: ${response.status} ${response.text}`);
  return response.body as CreatedWebhookDto;
}
