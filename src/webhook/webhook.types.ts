/** What fan-out needs of a subscribed webhook. */
export interface WebhookTarget {
  id: string;
  uri: string;
}

import type { WebhookHeaders } from './webhook-headers.js';

export interface SigningSecrets {
  current: string;
  /** The secret before the last rotation, while its grace period lasts. */
  previous?: string;
}

/** What delivery needs to reach and sign for one webhook at send time. */
export interface DeliveryTarget {
  id: string;
  uri: string;
  active: boolean;
  /**
   * Made inactive by its owner (PUT active: false), not by the service: its deliveries wait,
   * unsent, until it is active again.
   */
  paused: boolean;
  /** At most this many deliveries per second (null: no limit). */
  rateLimit: number | null;
  secrets: SigningSecrets;
  /** The webhook's own headers, sent on every attempt. */
  headers: WebhookHeaders;
}

/** The disabled reason a pause by the API records; the service's own reasons say why it acted. */
export const PAUSED_REASON = 'paused by PUT';
