/**
 * A hook the service answered but could not record (the database was unreachable): applied later,
 * as of when it was heard.
 */
export interface PendingHook {
  kind: 'unpublish' | 'update';
  streamKey: string;
  heardAt: Date;
}

interface Entry extends PendingHook {
  /** Being applied: a later update of its key must not fold into it. */
  applying: boolean;
}

export interface PendingHooksOptions {
  /** Records one hook; rejects when it could not. */
  apply: (hook: PendingHook) => Promise<unknown>;
  /** Whether a failure is worth waiting out (the database is away): the hook is kept, not dropped. */
  transient: (error: unknown) => boolean;
  /** Hooks kept at most; past it new ones are lost (and said so, once). */
  limit: number;
  /** How long to wait between tries while hooks are kept. */
  retryMs: number;
  logger: { warn(message: string): void; error(message: string, stack?: string): void };
}

/** Hooks applied together at most: one transaction of the lifecycle's. */
const APPLIED_TOGETHER = 200;

/**
 * Stops and updates heard while the database is unreachable, kept in memory in the order they
 * arrived and applied in that order when it is back (one key's hooks one after another; hooks of
 * different keys together). A run of updates of one key is kept as the latest of them. The process
 * keeps them as long as it lives; a restart loses them (INGEST_STALE_AFTER then stops what they
 * would have stopped).
 */
export class PendingHooks {
  private readonly queue: Entry[] = [];
  /** The newest kept entry of each key, and how many that key has. */
  private readonly lastOf = new Map<string, Entry>();
  private readonly countOf = new Map<string, number>();
  private flushing: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Since the queue was last empty (for the log): kept, applied, and lost past the limit. */
  private keptInRun = 0;
  private appliedInRun = 0;
  private lostInRun = 0;
  private closed = false;

  constructor(private readonly options: PendingHooksOptions) {}

  get size(): number {
    return this.queue.length;
  }

  /** Whether hooks of this key wait: a new hook of the key must come after them. */
  has(streamKey: string): boolean {
    return this.countOf.has(streamKey);
  }

  /** Keeps a hook to apply later; false when the limit is reached (the hook is lost). */
  keep(hook: PendingHook): boolean {
    const last = this.lastOf.get(hook.streamKey);
    if (hook.kind === 'update' && last?.kind === 'update' && !last.applying) {
      if (hook.heardAt > last.heardAt) last.heardAt = hook.heardAt;
      return true;
    }
    if (this.queue.length >= this.options.limit) {
      if (this.lostInRun++ === 0) {
        this.options.logger.error(
          `${this.options.limit} ingest hooks are already kept for the database's return: ` +
            'further stops and updates heard before it is back are lost',
        );
      }
      return false;
    }
    if (this.keptInRun++ === 0) {
      this.options.logger.warn(
        'Ingest hooks (stops, updates) cannot be recorded now: kept in memory and applied in order when the database is back',
      );
    }
    const entry: Entry = { ...hook, applying: false };
    this.queue.push(entry);
    this.lastOf.set(hook.streamKey, entry);
    this.countOf.set(hook.streamKey, (this.countOf.get(hook.streamKey) ?? 0) + 1);
    this.schedule();
    return true;
  }

  /**
   * Applies what is kept, oldest first, until the queue is empty (undefined) or the database is
   * still away (that error). A flush already running is joined.
   */
  flush(): Promise<unknown> {
    this.flushing ??= this.applyAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Until no hook of this key is kept: throws the database's error if it is still away. */
  async settle(streamKey: string): Promise<void> {
    while (this.has(streamKey)) {
      const error = await this.flush();
      if (error !== undefined) throw error as Error;
    }
  }

  /** Stops the retries (the process is going away); what is kept stays unapplied. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().finally(() => this.schedule());
    }, this.options.retryMs);
    this.timer.unref();
  }

  private async applyAll(): Promise<unknown> {
    while (this.queue.length > 0) {
      const chunk = this.nextChunk();
      for (const entry of chunk) entry.applying = true;
      // Started in the same turn, so the lifecycle writes them in one transaction, in this order.
      const outcomes = await Promise.allSettled(chunk.map((entry) => this.options.apply(entry)));
      const kept: Entry[] = [];
      let stoppedBy: unknown;
      outcomes.forEach((outcome, index) => {
        const entry = chunk[index];
        entry.applying = false;
        if (outcome.status === 'fulfilled') {
          this.appliedInRun++;
          return this.forget(entry);
        }
        if (this.options.transient(outcome.reason)) {
          stoppedBy ??= outcome.reason;
          return kept.push(entry);
        }
        const error = outcome.reason as Error;
        this.options.logger.error(
          `A kept ${entry.kind} hook could not be applied and is dropped: ${error.message}`,
          error.stack,
        );
        this.forget(entry);
      });
      this.queue.splice(0, chunk.length, ...kept);
      if (stoppedBy !== undefined) {
        this.schedule();
        return stoppedBy;
      }
    }
    if (this.keptInRun > 0) {
      const lost = this.lostInRun > 0 ? `; ${this.lostInRun} lost past the limit` : '';
      this.options.logger.warn(
        `Applied ${this.appliedInRun} ingest hook(s) kept while the database was unreachable${lost}`,
      );
    }
    this.keptInRun = 0;
    this.appliedInRun = 0;
    this.lostInRun = 0;
    return undefined;
  }

  /** The longest run from the front with each key once, up to APPLIED_TOGETHER. */
  private nextChunk(): Entry[] {
    const keys = new Set<string>();
    const chunk: Entry[] = [];
    for (const entry of this.queue) {
      if (chunk.length >= APPLIED_TOGETHER || keys.has(entry.streamKey)) break;
      keys.add(entry.streamKey);
      chunk.push(entry);
    }
    return chunk;
  }

  private forget(entry: Entry): void {
    const count = (this.countOf.get(entry.streamKey) ?? 1) - 1;
    if (count > 0) this.countOf.set(entry.streamKey, count);
    else this.countOf.delete(entry.streamKey);
    if (this.lastOf.get(entry.streamKey) === entry) this.lastOf.delete(entry.streamKey);
  }
}
