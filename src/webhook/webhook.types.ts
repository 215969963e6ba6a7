/** What fan-out needs of a subscribed webhook. */
export interface WebhookTarget {
  id: string;
  uri: string;
}

import type { WebhookHeaders } from './webhook-headers.js';
import type { WebhookState } from './webhook-state.js';

export interface SigningSecrets {
  current: string;
  /** The secret before the last rotation, while its grace period lasts. */
  previous?: string;
}

/** What delivery needs to reach and sign for one webhook at send time. */
export interface DeliveryTarget {
  id: string;
  uri: string;
  /** Active, paused by its owner or disabled by the service: see webhook-state.ts. */
  state: WebhookState;
  /** At most this many deliveries per second (null: no limit). */
  rateLimit: number | null;
  secrets: SigningSecrets;
  /** The webhook's own headers, sent on every attempt. */
  headers: WebhookHeaders;
}
