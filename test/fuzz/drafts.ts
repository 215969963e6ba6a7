import type { Route } from './routes.js';

// What a generated request looks like before it meets the database's current ids and keys.
// Plain data, so that fast-check can print and shrink it.

export type Resource = 'webhook' | 'channel' | 'delivery';

/** A raw (already percent-encoded) path segment, or an id that exists when the request is sent. */
export type IdChoice = string | { existing: Resource; pick: number } | { ownerOfDelivery: number };

export type TokenChoice =
  | 'right'
  | 'missing'
  | 'wrong'
  | 'empty'
  | 'twice'
  | 'right-and-wrong'
  | 'upper-case'
  | 'padded'
  | 'bracketed';

export type AuthChoice = 'key' | 'none' | 'wrong' | 'lower-case-scheme' | 'basic' | 'key-and-junk';

export interface BodyChoice {
  kind: string;
  text?: string;
  bytes?: Uint8Array;
}

export interface Draft {
  route: Route;
  ids: IdChoice[];
  /** Raw `key=value` pieces, already encoded as they go on the wire. */
  query: string[];
  token: TokenChoice | undefined;
  auth: AuthChoice;
  contentType: string | undefined;
  body: BodyChoice | undefined;
  chunked: boolean;
  extraHeaders?: Record<string, string>;
}

/** Stands for a real stream key in generated bodies; replaced when the request is sent. */
export const streamKeyPlaceholder = (pick: number) => `@@streamKey:${pick}@@`;
