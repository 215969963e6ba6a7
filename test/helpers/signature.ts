import { Webhook } from 'standardwebhooks';
import type { Received } from './receiver.js';

/** Verifies a callback with the official Standard Webhooks package, not our own code; throws if it fails. */
export function verifySignature(secret: string, request: Received): unknown {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  });
}
