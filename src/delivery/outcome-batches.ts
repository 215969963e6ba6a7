import type { AttemptResult } from './delivery.sender.js';
import { utf8Prefix } from './response-body.js';

/** What one write of outcomes may hold: the server's statement limits, read once. */
export interface StatementLimits {
  /** Bytes one statement (on MySQL: one packet, every statement of a batch in it) may take. */
  maxBytes: number;
  /** Bound values one statement may take. */
  maxVariables: number;
}

/** How a batch of outcomes is cut so that each write stays well under the statement limits. */
export interface BatchLimits {
  /** Estimated bytes (see `outcomeBytes`) of one batch, at most. */
  maxBytes: number;
  maxCount: number;
}

/**
 * Per outcome, the bytes of its statements besides its text (ids, times, codes, CASE arms, the
 * promotion lookup) and the values its widest statement binds (the outcome UPDATE: a CASE arm
 * of two values for each of five columns, and its id).
 */
const OUTCOME_FIXED_BYTES = 640;
const OUTCOME_VARIABLES = 11;
/** Room kept in every write for the rest of its transaction (the lock, the webhooks' health). */
const WRITE_FIXED_BYTES = 16 * 1024;
const WRITE_FIXED_VARIABLES = 64;

/** The limits of one batch: a quarter of the packet spare, as estimates are only estimates. */
export function batchLimits(limits: StatementLimits, maxCount: number): BatchLimits {
  return {
    maxBytes: Math.max(0, Math.floor(limits.maxBytes * 0.75) - WRITE_FIXED_BYTES),
    maxCount: Math.max(
      1,
      Math.min(
        maxCount,
        Math.floor((limits.maxVariables - WRITE_FIXED_VARIABLES) / OUTCOME_VARIABLES),
      ),
    ),
  };
}

type Texts = Pick<AttemptResult, 'responseBody' | 'requestHeaders' | 'responseHeaders' | 'error'>;

/**
 * An upper bound on the bytes an outcome adds to its write, from the texts' lengths alone
 * (counting the UTF-8 bytes of a 64 KiB answer costs from 10 µs to 350 µs, on every outcome).
 * mysql2 writes values into the statement's text, escaping quotes and backslashes, so a text may
 * take twice its bytes; the error goes into both the attempt and the delivery.
 */
export function outcomeBytes(result: Texts, errorLimit: number): number {
  const error = result.error === null ? 0 : Math.min(result.error.length, errorLimit);
  const text =
    utf8Bound(result.responseBody) +
    utf8Bound(result.requestHeaders) +
    utf8Bound(result.responseHeaders) +
    2 * UTF8_PER_UNIT * error;
  return 2 * text + OUTCOME_FIXED_BYTES;
}

/** How many of `sizes` (in order) go into the next batch: those that fit, and never fewer than one. */
export function batchLength(sizes: readonly number[], limits: BatchLimits): number {
  let bytes = 0;
  let count = 0;
  while (count < sizes.length && count < limits.maxCount) {
    bytes += sizes[count];
    if (count > 0 && bytes > limits.maxBytes) break;
    count++;
  }
  return count;
}

/**
 * An outcome too large for any write, with its response body cut (on a character boundary) so
 * that it fits `maxBytes`; the outcome itself as it is when it fits. Never dropped: the rest of
 * the answer is the part given up.
 */
export function fitOutcome<T extends Texts>(result: T, maxBytes: number, errorLimit: number): T {
  const size = outcomeBytes(result, errorLimit);
  if (size <= maxBytes || result.responseBody === null) return result;
  const rest = size - 2 * utf8Bound(result.responseBody);
  const room = Math.max(0, Math.floor((maxBytes - rest) / 2));
  return { ...result, responseBody: utf8Prefix(result.responseBody, room) };
}

/** UTF-8 bytes per UTF-16 unit, at most (a pair of surrogates, two units, makes four bytes). */
const UTF8_PER_UNIT = 3;

function utf8Bound(text: string | null): number {
  return text === null ? 0 : UTF8_PER_UNIT * text.length;
}
