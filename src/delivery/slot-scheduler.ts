/**
 * A webhook whose last this many attempts on this instance failed (timed out, refused, answered
 * an error) gets one slot until an attempt succeeds: a circuit breaker, so a dead receiver cannot
 * hold the slots the others need.
 */
export const BREAKER_AFTER = 3;

/** What decides how many of a webhook's deliveries a worker sends at once, and how fast. */
export interface SlotRules {
  /** Slots one webhook may use at once (DELIVERY_CONCURRENCY_PER_WEBHOOK, at most DELIVERY_CONCURRENCY). */
  perWebhook: number;
  /** Deliveries a webhook may have held here (in flight and ready) per slot it may use. */
  readyFactor: number;
  /** Failures in a row after which a webhook gets one slot until an attempt succeeds. */
  breakerAfter: number;
  /** A webhook's deliveries per second at most, or null (no limit). */
  rateLimit: (webhookId: string) => number | null;
  /** This process's clock, in ms. */
  now?: () => number;
}

/**
 * The per-webhook share of a worker's slots, as this instance sees it: how many of a webhook's
 * attempts are in flight and how many of its deliveries wait ready; a circuit breaker, so a dead
 * receiver cannot hold the slots the others need (a webhook whose last `breakerAfter` attempts
 * failed gets one slot until one succeeds); and the pacing of a rate-limited webhook's attempts.
 * It holds counts only: the worker keeps the deliveries and starts them.
 */
export class SlotScheduler {
  private readonly inFlightOf = new Map<string, number>();
  private readonly readyOf = new Map<string, number>();
  private readonly failuresOf = new Map<string, number>();
  /** Per rate-limited webhook: when (ms) its next attempt may start. */
  private readonly nextStartOf = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly rules: SlotRules) {
    this.now = rules.now ?? Date.now;
  }

  /** Slots a webhook may use now: fewer while its attempts keep failing. */
  limitOf(webhookId: string): number {
    return (this.failuresOf.get(webhookId) ?? 0) >= this.rules.breakerAfter
      ? 1
      : this.rules.perWebhook;
  }

  /** Whether this worker holds as many of a webhook's deliveries as it may use soon. */
  holdsEnough(webhookId: string): boolean {
    const held = (this.inFlightOf.get(webhookId) ?? 0) + (this.readyOf.get(webhookId) ?? 0);
    const rate = this.rules.rateLimit(webhookId);
    // A rate-limited webhook holds about a second's worth: more would go stale waiting.
    const enough = Math.min(this.limitOf(webhookId) * this.rules.readyFactor, rate ?? Infinity);
    return held >= enough;
  }

  /** Webhooks not to claim for now: this worker holds enough of theirs. */
  heldEnough(): string[] {
    const ids = new Set([...this.inFlightOf.keys(), ...this.readyOf.keys()]);
    return [...ids].filter((id) => this.holdsEnough(id));
  }

  /** Whether a webhook has a free slot: fewer attempts in flight than it may use. */
  hasSlot(webhookId: string): boolean {
    return (this.inFlightOf.get(webhookId) ?? 0) < this.limitOf(webhookId);
  }

  /**
   * For a webhook with a rate limit: when its turn has come, takes it and answers undefined (so
   * does a webhook without one); else answers when (ms) the turn comes.
   */
  takeTurn(webhookId: string, now = this.now()): number | undefined {
    const rate = this.rules.rateLimit(webhookId);
    if (!rate) return undefined;
    const next = this.nextStartOf.get(webhookId) ?? 0;
    if (next > now) return next;
    this.nextStartOf.set(webhookId, Math.max(next, now) + 1000 / rate);
    return undefined;
  }

  /** One of the webhook's deliveries is ready here, waiting for a slot. */
  readied(webhookId: string): void {
    add(this.readyOf, webhookId, 1);
  }

  /** One of the webhook's ready deliveries is ready no more (started, or let go). */
  unreadied(webhookId: string): void {
    add(this.readyOf, webhookId, -1);
  }

  /** An attempt to the webhook takes a slot. */
  started(webhookId: string): void {
    add(this.inFlightOf, webhookId, 1);
  }

  /** An attempt's outcome: a success closes the breaker, a failure counts toward it. */
  answered(webhookId: string, succeeded: boolean): void {
    if (succeeded) this.failuresOf.delete(webhookId);
    else add(this.failuresOf, webhookId, 1);
  }

  /** An attempt to the webhook gives its slot back. */
  finished(webhookId: string): void {
    add(this.inFlightOf, webhookId, -1);
  }
}

/** Adds to a per-webhook count, dropping it at zero. */
function add(counts: Map<string, number>, webhookId: string, delta: number): void {
  const next = (counts.get(webhookId) ?? 0) + delta;
  if (next > 0) counts.set(webhookId, next);
  else counts.delete(webhookId);
}
