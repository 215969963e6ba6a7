/** What to do after an attempt. */
export type Decision =
  | { kind: 'succeeded' }
  /** Try again this long from now (measured by the database's clock when recorded). */
  | { kind: 'retry'; waitMs: number }
  | { kind: 'dead' }
  /** 410 Gone: the receiver asked never to be called again. */
  | { kind: 'gone' };

export interface RetryPolicyOptions {
  /** Waits before each retry, in ms; attempts = 1 + its length. */
  scheduleMs: number[];
  /** ± fraction applied to each wait. */
  jitter: number;
  random?: () => number;
}

/**
 * Svix-style retries: a fixed schedule of waits with ± jitter; `Retry-After` on 429 and 503 is
 * honoured, kept within the schedule's shortest and longest waits.
 */
export class RetryPolicy {
  private readonly random: () => number;

  constructor(private readonly options: RetryPolicyOptions) {
    this.random = options.random ?? Math.random;
  }

  get maxAttempts(): number {
    return 1 + this.options.scheduleMs.length;
  }

  decide(input: {
    statusCode: number | null;
    attempts: number;
    maxAttempts: number;
    retryAfter?: string;
    now: Date;
  }): Decision {
    const { statusCode, attempts, maxAttempts, now } = input;
    if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { kind: 'succeeded' };
    if (statusCode === 410) return { kind: 'gone' };
    if (attempts >= maxAttempts || this.options.scheduleMs.length === 0) return { kind: 'dead' };
    const index = Math.min(attempts - 1, this.options.scheduleMs.length - 1);
    let wait = this.jittered(this.options.scheduleMs[index]);
    if ((statusCode === 429 || statusCode === 503) && input.retryAfter !== undefined) {
      const asked = parseRetryAfter(input.retryAfter, now);
      if (asked !== undefined) {
        const shortest = Math.min(...this.options.scheduleMs);
        const longest = Math.max(...this.options.scheduleMs);
        wait = Math.min(Math.max(asked, shortest), longest);
      }
    }
    return { kind: 'retry', waitMs: wait };
  }

  private jittered(wait: number): number {
    const { jitter } = this.options;
    if (jitter <= 0) return wait;
    return Math.max(0, Math.round(wait * (1 + jitter * (2 * this.random() - 1))));
  }
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms from now; undefined when unreadable. */
export function parseRetryAfter(value: string, now: Date): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/^[A-Za-z]{3}, /.test(trimmed)) return undefined; // HTTP-date: "Fri, 27 Nov 2026 10:00:30 GMT"
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}
