import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import { DomainError, ErrorCode } from '../../common/errors.js';
import { IngestDenials } from '../../common/rate-limit/ingest-denials.js';
import { databaseStatus, isDatabaseUnreachable } from '../../database/database-status.js';
import {
  ChannelLifecycleService,
  type PublishOutcome,
  type UnpublishOutcome,
} from '../channel-lifecycle.service.js';
import { type PendingHook, PendingHooks } from './pending-hooks.js';

/** Stops and updates kept for the database's return, at most. */
export const PENDING_HOOKS_LIMIT = 100_000;
/** How often kept hooks are tried while the database is away. */
const PENDING_RETRY_MS = 1000;
/**
 * How long an update may wait for the database before it is answered anyway: nginx-rtmp drops a
 * publisher whose on_update gets no answer in time (its netcall timeout).
 */
export const UPDATE_ANSWER_WITHIN_MS = 2000;
/** How long shutdown waits to apply what is kept. */
const SHUTDOWN_FLUSH_MS = 5000;

/** What a stop or an update answers when it was kept for later: it will be recorded, as of now. */
export type Kept = 'pending';

/**
 * The one place every media-server adapter calls: a publisher with this stream key connected or
 * left. Adapters only translate their wire formats onto it.
 *
 * A media server must never lose a publisher because of the service: updates are answered whatever
 * the database does, and stops heard while it is unreachable are kept and applied in order (as of
 * when they were heard) when it is back. Only publishes wait for it.
 */
@Injectable()
export class IngestService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Ingest');
  private readonly pending: PendingHooks;
  /** Stops being recorded now, by key: a publish of the key waits for them (and what they keep). */
  private readonly stopsInFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly lifecycle: ChannelLifecycleService,
    private readonly denials: IngestDenials,
  ) {
    this.pending = new PendingHooks({
      apply: (hook) => this.record(hook),
      transient: (error) => isDatabaseUnreachable(error),
      limit: PENDING_HOOKS_LIMIT,
      retryMs: PENDING_RETRY_MS,
      logger: this.logger,
    });
  }

  /**
   * Lets the publisher in (the channel goes live) or refuses it (Forbidden). `publisher` is the
   * publishing client's address (as the media server reports it): unknown keys count against it,
   * and past RATE_LIMIT_INGEST_DENIALS its publishes are refused as RateLimited. `mediaServer` is
   * the hook caller's address: the same server asking again may take over a session it lost.
   * Hooks kept for this key are applied first; while they cannot be, the publish fails as the
   * database does (503: the publisher tries again).
   */
  async publish(streamKey: string, publisher: string, mediaServer: string): Promise<'live'> {
    this.denials.assertAllowed(`publisher:${publisher}`);
    await this.stopsInFlight.get(streamKey)?.catch(() => undefined);
    await this.pending.settle(streamKey);
    const { outcome } = await this.lifecycle.publish(streamKey, { mediaServer });
    if (outcome === 'unknown-key') await this.denials.record(`publisher:${publisher}`);
    if (outcome !== 'live') throw denied(outcome);
    return outcome;
  }

  /**
   * The publisher is still there (a periodic update): keeps a live channel from being stopped as
   * stale (INGEST_STALE_AFTER). Never refused, whatever the database does, so a media server does
   * not drop a publisher for it: what could not be recorded (within UPDATE_ANSWER_WITHIN_MS) is
   * recorded when the database is back. Recorded at once, it is as of the database's clock; kept,
   * as of `heardAt`, when this instance heard it.
   */
  async update(streamKey: string, heardAt = new Date()): Promise<'live' | 'not-live' | Kept> {
    const hook: PendingHook = { kind: 'update', streamKey, heardAt };
    if (this.pending.has(streamKey)) return this.keep(hook);
    const recorded = this.lifecycle.touch(streamKey).catch((error: unknown) => {
      if (!databaseStatus.failed(error)) {
        this.logger.warn(`Recording an update failed; kept to try again: ${String(error)}`);
      }
      return this.keep(hook);
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Kept>((resolve) => {
      timer = setTimeout(() => resolve('pending'), UPDATE_ANSWER_WITHIN_MS);
    });
    try {
      return await Promise.race([recorded, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The publisher left. Never rate-limited, and never lost while the process lives: heard while
   * the database is unreachable, it is kept and applied when it is back, with the time it was
   * heard as its event time.
   */
  async unpublish(streamKey: string, heardAt = new Date()): Promise<UnpublishOutcome | Kept> {
    const hook: PendingHook = { kind: 'unpublish', streamKey, heardAt };
    if (this.pending.has(streamKey)) return this.keepOrThrow(hook);
    const stop = this.lifecycle.unpublish(streamKey).then(
      ({ outcome }) => outcome,
      (error: unknown) => {
        if (!databaseStatus.failed(error)) throw error;
        return this.keepOrThrow(hook, error);
      },
    );
    this.stopsInFlight.set(streamKey, stop);
    try {
      return await stop;
    } finally {
      if (this.stopsInFlight.get(streamKey) === stop) this.stopsInFlight.delete(streamKey);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.pending.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('timed out'), SHUTDOWN_FLUSH_MS);
      });
      await Promise.race([this.pending.flush(), timeout]);
      clearTimeout(timer);
    }
    this.pending.close();
    if (this.pending.size > 0) {
      this.logger.error(
        `${this.pending.size} ingest hook(s) kept while the database was unreachable are lost at shutdown`,
      );
    }
  }

  private record(hook: PendingHook): Promise<unknown> {
    return hook.kind === 'unpublish'
      ? this.lifecycle.unpublish(hook.streamKey, hook.heardAt)
      : this.lifecycle.touch(hook.streamKey, hook.heardAt);
  }

  /** An update is answered even when it cannot be kept (the limit says so in the log). */
  private keep(hook: PendingHook): Kept {
    this.pending.keep(hook);
    return 'pending';
  }

  /** A stop that cannot be kept either fails as the database did (503). */
  private keepOrThrow(hook: PendingHook, error?: unknown): Kept {
    if (this.pending.keep(hook)) return 'pending';
    throw (
      (error as Error | undefined) ??
      new ServiceUnavailableException('The database is unreachable; try again shortly')
    );
  }
}

const DENIAL_REASONS: Record<Exclude<PublishOutcome, 'live'>, string> = {
  'unknown-key': 'stream key is not known',
  'already-live': 'channel is already live',
};

/** A refused hook: the media server must not let the publisher in. */
export function denied(outcome: Exclude<PublishOutcome, 'live'>): DomainError {
  return new DomainError(ErrorCode.Forbidden, DENIAL_REASONS[outcome]);
}
