/**
 * A webhook's state and its rules, pure. A webhook is `active` (its deliveries go out), `paused`
 * by its owner (PUT active: false: its deliveries are held, unsent, until it is active again) or
 * `disabled` by the service (a 410 Gone answer, or failing for WEBHOOK_DISABLE_AFTER: its
 * deliveries fail as a dead receiver's would), with the reason beside it. PUT active: true makes
 * any of them active again. The API shows the state as its `active` flag, and the overview as
 * its summary state.
 */

export const WEBHOOK_STATES = ['active', 'paused', 'disabled'] as const;
export type WebhookState = (typeof WEBHOOK_STATES)[number];

/** The longest reason the webhook table keeps. */
export const REASON_MAX_LENGTH = 255;

/** What a change of state writes of the webhook. */
export interface StateChange {
  state: WebhookState;
  /** Why the service disabled it; null when it is not disabled. */
  disabledReason: string | null;
  /** Set: its failing run is over (undefined: left as it is). */
  failingSince?: null;
  /** With failingSince: the run's webhook_failing is forgotten too. */
  failingAlerted?: false;
}

/**
 * PUT's `active`: true makes the webhook active with a clean slate (no failing run, no reason),
 * whatever its state; false pauses it (a disabled one too).
 */
export function putActive(active: boolean): StateChange {
  return active
    ? { state: 'active', disabledReason: null, failingSince: null, failingAlerted: false }
    : { state: 'paused', disabledReason: null };
}

/** The service disables the webhook (a 410 answer, or failing too long), whatever its state. */
export function disabledFor(reason: string): StateChange {
  return { state: 'disabled', disabledReason: reason.slice(0, REASON_MAX_LENGTH) };
}

/**
 * Active as the API shows it (`active`): only active webhooks are subscribers, start or go on
 * failing, and have their held deliveries released.
 */
export function isActive(state: WebhookState): boolean {
  return state === 'active';
}

/**
 * What becomes of a claimed delivery: sent; held (its webhook is paused: unsent, no attempt
 * counted); or failed at once (`webhook is inactive`: its webhook is disabled). A ping is sent
 * whatever the state: it is how an owner tries a webhook.
 */
export type AttemptPlan = 'send' | 'hold' | 'fail';

export function attemptPlan(state: WebhookState, ping: boolean): AttemptPlan {
  if (ping || state === 'active') return 'send';
  return state === 'paused' ? 'hold' : 'fail';
}

/** A webhook's state in the overview: an active one is failing when its last attempt failed. */
export type SummaryState = 'healthy' | 'failing' | 'paused' | 'disabled';

export function summaryState(state: WebhookState, lastAttemptFailed: boolean): SummaryState {
  if (state !== 'active') return state;
  return lastAttemptFailed ? 'failing' : 'healthy';
}

/** The reason the API shows: why the service disabled it, or null. */
export function shownReason(state: WebhookState, disabledReason: string | null): string | null {
  return state === 'disabled' ? disabledReason : null;
}
