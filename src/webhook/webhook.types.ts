/** What fan-out needs of a subscribed webhook. */
export interface WebhookTarget {
  id: string;
  uri: string;
}

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
  secrets: SigningSecrets;
}
