import { createHmac, randomBytes } from 'node:crypto';
import { SECRET_PREFIX } from '../webhook/webhook-secret.js';
import type { SigningSecrets } from '../webhook/webhook.types.js';

/** A Standard Webhooks message id: stable for a delivery across attempts and redeliveries. */
export function newMessageId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the secret's decoded bytes. */
export function sign(secret: string, messageId: string, timestamp: number, body: string): string {
  const key = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
  const mac = createHmac('sha256', key)
    .update(`${messageId}.${timestamp}.${body}`)
    .digest('base64');
  return `v1,${mac}`;
}

/** The webhook-signature header: one signature per valid secret, space-separated (new first). */
export function signatureHeader(
  secrets: SigningSecrets,
  messageId: string,
  timestamp: number,
  body: string,
): string {
  const all = secrets.previous ? [secrets.current, secrets.previous] : [secrets.current];
  return all.map((secret) => sign(secret, messageId, timestamp, body)).join(' ');
}
