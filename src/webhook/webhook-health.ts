/**
 * The webhooks' health, decided from the outcomes of their deliveries: a success ends a webhook's
 * failing run; a failure starts one (or goes on with it); a run longer than WEBHOOK_DISABLE_AFTER
 * makes the webhook inactive, and so does a 410 Gone at once. Pings count for none of it: a ping
 * is how an owner tries a webhook, even an inactive one. Pure: the caller writes what it decides.
 */

import { isActive, type WebhookState } from './webhook-state.js';

/** What an attempt says of its receiver's health. */
export type AttemptVerdict = 'succeeded' | 'gone' | 'failed';

/** One recorded attempt, as the health policy sees it. */
export interface AttemptOutcome {
  webhookId: string;
  /** A ping: sent even to an inactive webhook, and left out of its health. */
  ping: boolean;
  verdict: AttemptVerdict;
}

/** What is known of a webhook before the outcomes: undefined when it is not known (gone). */
export interface WebhookHealthState {
  state: WebhookState;
  /** Since when its deliveries keep failing, or null. */
  failingSince: Date | null;
  /** Its failing run has been told of (webhook_failing); left out: not. */
  failingAlerted?: boolean;
}

/** A webhook to make inactive, and the reason it is given. */
export interface Disable {
  webhookId: string;
  reason: string;
}

/** What the outcomes change of the webhooks' health. */
export interface HealthChanges {
  /** Failing webhooks whose run is over: their failing runs end. */
  recovered: string[];
  /** Made inactive now: the receiver answered 410 Gone. */
  gone: Disable[];
  /** Active webhooks not failing before: their failing runs start now. */
  startFailing: string[];
  /**
   * Made inactive when their failing runs began at `threshold` or earlier (the write checks it
   * again, as another instance may have ended the run meanwhile).
   */
  overdue: Disable[];
  /** Now less WEBHOOK_DISABLE_AFTER. */
  threshold: Date;
  /**
   * Failing since `alertThreshold` or earlier and not told of yet: webhook_failing (the write
   * checks it again, and makes it once).
   */
  alert: string[];
  /** Now less WEBHOOK_FAILING_AFTER. */
  alertThreshold: Date;
  /** Of `recovered`, those whose run was told of: webhook_recovered (once, by the write). */
  recoveredAfterAlert: string[];
}

export const GONE_REASON = 'the receiver answered 410 Gone';

/** The reason a webhook failing for `disableAfterMs` is made inactive. */
export function failingReason(disableAfterMs: number): string {
  return `failing continuously for ${Math.round(disableAfterMs / 3_600_000)}h`;
}

/** The verdict on an attempt from the kind of its retry decision. */
export function verdictOf(decisionKind: string): AttemptVerdict {
  if (decisionKind === 'succeeded') return 'succeeded';
  return decisionKind === 'gone' ? 'gone' : 'failed';
}

/**
 * What a batch of outcomes changes. A webhook with a success and a failure in one batch counts as
 * recovered; one that answered 410 is made inactive whatever else it answered. Only active
 * webhooks start or go on failing.
 */
export function healthChanges(
  outcomes: readonly AttemptOutcome[],
  stateOf: (webhookId: string) => WebhookHealthState | undefined,
  now: Date,
  disableAfterMs: number,
  failingAfterMs = Number.POSITIVE_INFINITY,
): HealthChanges {
  const recovered = new Set<string>();
  const gone = new Set<string>();
  const failing = new Set<string>();
  for (const { webhookId, ping, verdict } of outcomes) {
    if (ping) continue;
    if (verdict === 'succeeded') recovered.add(webhookId);
    else if (verdict === 'gone') gone.add(webhookId);
    else {
      const known = stateOf(webhookId);
      if (known && isActive(known.state)) failing.add(webhookId);
    }
  }
  const since = (id: string) => stateOf(id)?.failingSince ?? null;
  const stillFailing = [...failing].filter((id) => !recovered.has(id) && !gone.has(id));
  const threshold = new Date(now.getTime() - disableAfterMs);
  const alertThreshold = new Date(now.getTime() - failingAfterMs);
  const reason = failingReason(disableAfterMs);
  const endedRuns = [...recovered].filter((id) => since(id) !== null);
  return {
    recovered: endedRuns,
    recoveredAfterAlert: endedRuns.filter((id) => stateOf(id)?.failingAlerted === true),
    alert: stillFailing.filter((id) => {
      const start = since(id);
      return start !== null && start <= alertThreshold && stateOf(id)?.failingAlerted !== true;
    }),
    alertThreshold,
    gone: [...gone].map((webhookId) => ({ webhookId, reason: GONE_REASON })),
    startFailing: stillFailing.filter((id) => since(id) === null),
    overdue: stillFailing
      .filter((id) => {
        const start = since(id);
        return start !== null && start <= threshold;
      })
      .map((webhookId) => ({ webhookId, reason })),
    threshold,
  };
}
