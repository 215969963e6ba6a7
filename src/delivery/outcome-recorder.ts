import type { LoggerService } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { databaseStatus, isLockContention } from '../database/database-status.js';
import { type Completion, ERROR_LIMIT } from './delivery.queue.js';
import {
  type BatchLimits,
  batchLength,
  batchLimits,
  fitOutcome,
  outcomeBytes,
  type StatementLimits,
} from './outcome-batches.js';
import { leasesToExtend, recordRetryDelayMs } from './unwritten-outcomes.js';

/** Outcomes per write: at most RECORD_MAX; a busy worker waits for RECORD_MIN, or RECORD_WAIT_MS. */
const RECORD_MAX = 500;
const RECORD_MIN = 64;
const RECORD_WAIT_MS = 4;
/** How often held outcomes are looked at for leases to extend (see `leasesToExtend`). */
const LEASE_CHECK_MS = 500;

/** What outcomes are written through: the delivery queue and the webhooks' health. */
export interface OutcomeWriter {
  /** The server's limits on one statement, read before the first write. */
  statementLimits(): Promise<StatementLimits>;
  /**
   * Writes a batch of outcomes in one transaction; answers those recorded (their delivery still
   * exists) and how many followers became due. `recheck`: an earlier try of some of them may
   * have been committed.
   */
  write(
    completions: Completion[],
    recheck: boolean,
  ): Promise<{ recorded: Completion[]; promoted: number }>;
  /** Extends the leases of these deliveries, whose outcomes wait to be written. */
  extendLeases(ids: string[]): Promise<void>;
}

/** The metrics every recorded outcome counts in (DeliveryMetrics). */
export interface OutcomeMetrics {
  deliveries: Pick<Counter<'event' | 'outcome'>, 'inc'>;
  attemptDuration: Pick<Histogram, 'observe'>;
}

/** What the worker is told of the recorder's progress. */
export interface RecorderEvents {
  /** Outcomes are written again after failed tries: attempts may start and claims resume. */
  resumed(): void;
  /** A write made deliveries due (the followers of finished ones). */
  promoted(): void;
  /** A round of writes is over: all written, or given up. */
  settled(): void;
}

export interface RecorderOptions {
  /** How long the lease of a delivery is (extensions are for as long). */
  leaseMs: number;
  /** DATABASE_MAX_PACKET: a write stays under it too. */
  maxPacket?: number;
  /** This process's clock, in ms. */
  now?: () => number;
  /** The wait between failed tries of a write. */
  sleep?: (ms: number) => Promise<void>;
}

interface Unrecorded {
  completion: Completion;
  /** When the outcome was ready (this process's clock). */
  since: number;
  /** When its delivery's lease was last extended while it waited to be written. */
  extendedAt?: number;
  /** The estimated bytes it adds to a write (see `outcomeBytes`). */
  bytes: number;
  /** A try to write it failed without knowing whether it was committed. */
  uncertain?: boolean;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Writes the outcomes of attempts, in batches: at once when the worker is idle and by the dozen
 * when it is busy, each write cut to stay well under the database's packet limit. An outcome that
 * cannot be written is kept and tried again for as long as the process lives, its delivery's
 * lease extended meanwhile (`failing` tells the worker to start and claim nothing until it is
 * written): only a crash sends a message again. Logs a "delivery attempt" line per outcome written.
 */
export class OutcomeRecorder {
  private readonly unrecorded: Unrecorded[] = [];
  /** The batch being written now. */
  private writing: Unrecorded[] = [];
  /** Failed tries in a row. */
  private recordFailures = 0;
  /** Failed tries in a row that were not for want of a connection (those are the database's to tell). */
  private loudFailures = 0;
  /** What one write may hold; read from the database before the first write. */
  private limits: BatchLimits | undefined;
  private leaseKeeper: NodeJS.Timeout | undefined;
  private extending = false;
  /** Set when shutdown gave up waiting: what is still unwritten stays so. */
  private abandoned = false;
  private recording: Promise<void> | undefined;
  private recordTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly writer: OutcomeWriter,
    private readonly metrics: OutcomeMetrics,
    private readonly logger: Pick<LoggerService, 'log' | 'warn'>,
    private readonly events: RecorderEvents,
    private readonly options: RecorderOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? wait;
  }

  /**
   * Set while outcomes cannot be written (the database is away, the attempt log refuses writes):
   * no attempt should start and nothing be claimed until they are.
   */
  get failing(): boolean {
    return this.recordFailures > 0;
  }

  /** Outcomes waiting for a write (besides the one being written). */
  get waiting(): number {
    return this.unrecorded.length;
  }

  /**
   * Queues an outcome for writing: at once when nothing else is in flight (`inFlight`: attempts
   * not finished, this one included), else in a batch.
   */
  complete(completion: Completion, inFlight: number): void {
    const bytes = outcomeBytes(completion.result, ERROR_LIMIT);
    this.unrecorded.push({ completion, since: this.now(), bytes });
    this.leaseKeeper ??= setInterval(() => void this.keepLeases(), LEASE_CHECK_MS).unref();
    if (this.unrecorded.length >= RECORD_MIN || inFlight <= 1) this.flush();
    else this.recordTimer ??= setTimeout(() => this.flush(), RECORD_WAIT_MS);
  }

  /** Writes what waits now, unless a round of writes is under way already. */
  flush(): void {
    clearTimeout(this.recordTimer);
    this.recordTimer = undefined;
    this.recording ??= this.recordAll().finally(() => {
      this.recording = undefined;
      this.events.settled();
    });
  }

  /** Resolves once every outcome is written (or given up by `abandon`). */
  async drain(): Promise<void> {
    // Once abandoned nothing more is written: the loop ends with the write in progress, if any
    // (otherwise it would spin on promises that resolve at once and starve the event loop).
    while ((this.unrecorded.length > 0 && !this.abandoned) || this.recording) {
      this.flush();
      await this.recording;
    }
  }

  /**
   * Gives up on what is unwritten (shutdown waited long enough): no more tries nor extensions.
   * Answers the deliveries whose outcomes stay unwritten.
   */
  abandon(): string[] {
    this.abandoned = true;
    clearInterval(this.leaseKeeper);
    return [...this.writing, ...this.unrecorded].map((entry) => entry.completion.delivery.id);
  }

  /**
   * Extends the leases of outcomes waiting to be written (see `leasesToExtend`), in a statement of
   * its own; when even that fails they are still kept, and tried again at the next check.
   */
  async keepLeases(): Promise<void> {
    const held = [...this.writing, ...this.unrecorded];
    if (held.length === 0 || this.abandoned) {
      clearInterval(this.leaseKeeper);
      this.leaseKeeper = undefined;
      return;
    }
    if (this.extending) return;
    const now = this.now();
    const due = leasesToExtend(held, now, this.options.leaseMs);
    if (due.length === 0) return;
    this.extending = true;
    try {
      await this.writer.extendLeases(due.map((entry) => entry.completion.delivery.id));
      for (const entry of due) entry.extendedAt = now;
    } catch (error) {
      // Tried again at the next check; the database's own warning covers an outage.
      if (!databaseStatus.failed(error) && !isLockContention(error)) {
        this.logger.warn(
          `Extending the leases of ${due.length} unwritten outcome(s) failed: ${(error as Error).message}`,
        );
      }
    } finally {
      this.extending = false;
    }
  }

  private async recordAll(): Promise<void> {
    while (this.unrecorded.length > 0 && !this.abandoned) await this.recordBatch();
  }

  /** The next batch: the oldest outcomes that fit one write; one too large alone has its answer cut. */
  private nextBatch(limits: BatchLimits): Unrecorded[] {
    const count = batchLength(
      this.unrecorded.map((entry) => entry.bytes),
      limits,
    );
    const batch = this.unrecorded.splice(0, count);
    if (batch.length === 1 && batch[0].bytes > limits.maxBytes) {
      const { completion } = batch[0];
      completion.result = fitOutcome(completion.result, limits.maxBytes, ERROR_LIMIT);
      batch[0].bytes = outcomeBytes(completion.result, ERROR_LIMIT);
    }
    return batch;
  }

  private async batchLimits(): Promise<BatchLimits> {
    if (!this.limits) {
      const server = await this.writer.statementLimits();
      const maxBytes = Math.min(server.maxBytes, this.options.maxPacket ?? Infinity);
      this.limits = batchLimits({ ...server, maxBytes }, RECORD_MAX);
    }
    return this.limits;
  }

  /**
   * Writes the next batch of outcomes, with the webhooks' health, in one transaction. One that
   * fails is kept whole and tried again after a wait, without end while the process lives.
   */
  private async recordBatch(): Promise<void> {
    let batch: Unrecorded[] = [];
    try {
      batch = this.nextBatch(await this.batchLimits());
      this.writing = batch;
      const { recorded, promoted } = await this.writer.write(
        batch.map((entry) => entry.completion),
        batch.some((entry) => entry.uncertain),
      );
      for (const { delivery, result, decision } of recorded) {
        this.metrics.deliveries.inc({ event: delivery.event, outcome: decision.kind });
        this.metrics.attemptDuration.observe(result.durationMs / 1000);
        this.logger.log({
          msg: 'delivery attempt',
          webhookId: delivery.webhookId,
          deliveryId: delivery.id,
          event: delivery.event,
          attempt: delivery.attempts + 1,
          status: result.statusCode,
          error: result.error,
          durationMs: result.durationMs,
          outcome: decision.kind,
        });
      }
      this.writing = [];
      if (this.recordFailures > 0) {
        if (this.loudFailures > 0) {
          this.logger.warn(
            `Outcomes written again after ${this.recordFailures} failed tries; deliveries resume`,
          );
        }
        this.recordFailures = 0;
        this.loudFailures = 0;
        this.events.resumed();
      }
      if (promoted > 0) this.events.promoted();
    } catch (error) {
      // Kept, and tried again: these were sent, and would be sent again if their outcome were
      // forgotten. Their leases are extended meanwhile (see keepLeases); the write itself needs
      // only the lease's owner to match.
      this.writing = [];
      this.unrecorded.unshift(...batch);
      this.recordFailures++;
      for (const entry of batch) entry.uncertain = true;
      if (!databaseStatus.failed(error) && this.loudFailures++ === 0) {
        this.logger.warn(
          `Writing ${this.unrecorded.length} outcome(s) failed; they are kept and tried again, their` +
            ` leases held, and no new attempt starts until they are written: ${(error as Error).message}`,
        );
      }
      await this.sleep(recordRetryDelayMs(this.recordFailures));
    }
  }
}
