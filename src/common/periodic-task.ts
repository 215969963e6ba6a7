import type { Logger } from '@nestjs/common';
import { databaseStatus, isLockContention } from '../database/database-status.js';

/**
 * Runs `work` now and then every `intervalMs` after the previous run ended, until stopped; a run
 * that fails is logged (quietly when the database is away or busy) and the next one tries again. `stop()` waits for a run in progress, so a
 * service can drain on shutdown.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private inProgress: Promise<void> | undefined;
  private started = false;
  private stopping = false;

  constructor(
    private readonly intervalMs: number,
    private readonly work: () => Promise<unknown> | void,
    private readonly logger: Logger,
    /** What the log says when a run fails. */
    private readonly failure: string,
  ) {}

  /** Started and not yet told to stop. */
  get running(): boolean {
    return this.started && !this.stopping;
  }

  get stopped(): boolean {
    return this.stopping;
  }

  /** Runs once (resolving when that run is over), then on the interval. */
  async start(): Promise<void> {
    this.started = true;
    await this.runOnce();
    this.schedule();
  }

  /** Runs now unless a run is in progress; resolves when the run is over. */
  runOnce(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.inProgress ??= (async () => {
      try {
        await this.work();
      } catch (error) {
        // An unreachable database is logged once for the whole outage; contention that outlived
        // its retries is resolved by the next run.
        if (databaseStatus.failed(error) || isLockContention(error)) {
          this.logger.debug(`${this.failure}: ${(error as Error).message}`);
        } else {
          this.logger.error(this.failure, (error as Error).stack);
        }
      } finally {
        this.inProgress = undefined;
      }
    })();
    return this.inProgress;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.inProgress;
  }

  private schedule(): void {
    if (this.stopping) return;
    this.timer = setTimeout(
      () => void this.runOnce().finally(() => this.schedule()),
      this.intervalMs,
    );
    this.timer.unref();
  }
}
