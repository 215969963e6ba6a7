import { STATUS_CODES } from 'node:http';

/** The attempt as the log stores it: what an answer's description is derived from. */
export interface StoredOutcome {
  statusCode: number | null;
  error: string | null;
}

const TIMED_OUT = /^timed out after (\d+) ms$/;
const DENIED = 'destination denied: ';

/**
 * Why an attempt failed, in words, from its stored status code and error (the sender's own
 * terms); null for a success. Errors the sender does not name are shown as they were stored.
 */
export function describeAttempt({ statusCode, error }: StoredOutcome): string | null {
  if (statusCode !== null) {
    if (statusCode >= 200 && statusCode < 300) return null;
    if (statusCode >= 300 && statusCode < 400) return `Redirects are not followed (${statusCode})`;
    const phrase = STATUS_CODES[statusCode];
    return `The receiver answered ${statusCode}${phrase ? ` ${phrase}` : ''}`;
  }
  if (error === null) return null;
  const timedOut = TIMED_OUT.exec(error);
  if (timedOut) return `No answer within ${Number(timedOut[1]) / 1000} s (DELIVERY_TIMEOUT)`;
  if (error.startsWith(DENIED)) {
    return `Not sent: the destination is not allowed (${error.slice(DENIED.length)}; see DELIVERY_ALLOWED_CIDRS)`;
  }
  switch (error) {
    case 'connection refused':
      return 'Connection refused';
    case 'connection reset by the receiver':
      return 'The receiver closed the connection without answering';
    case 'host not found':
      return 'The host name does not resolve to an address';
    case 'webhook is inactive':
      return 'Not sent: the webhook is inactive';
    default:
      return error.charAt(0).toUpperCase() + error.slice(1);
  }
}
