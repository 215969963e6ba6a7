import { Inject, Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { RATE_LIMIT_STORAGE } from './rate-limit.tokens.js';
import type { AppConfig, RateLimit } from '../../config/app-config.js';
import { DomainError, ErrorCode } from '../errors.js';
import { ExpiringMap } from '../expiring-map.js';
import { InjectAppConfig } from '../../config/app-config.module.js';

const THROTTLER = 'ingest-denials';

/**
 * Counts refused ingest hooks in the throttler's storage, per source: a caller's address for a
 * wrong token, the publisher's address for an unknown stream key (so guesses made through a media
 * server block the guesser, not the media server). Past RATE_LIMIT_INGEST_DENIALS that source's
 * further guesses get 429 until its window ends: its wrong tokens, or its publishes. A hook with
 * the right token is never refused for its address's wrong tokens, and unpublish hooks never
 * this way: a stop must not be lost.
 */
@Injectable()
export class IngestDenials {
  private readonly limit: RateLimit;
  /**
   * Sources past the limit, until when (ms): checked before any work is done for them. Swept as
   * their blocks end, and bounded (the least recently blocked go first).
   */
  private readonly blockedUntil = new ExpiringMap<number>();

  constructor(
    @Inject(RATE_LIMIT_STORAGE) private readonly storage: ThrottlerStorage,
    @InjectAppConfig() config: AppConfig,
  ) {
    this.limit = config.rateLimits.ingestDenials;
  }

  /** Throws 429 (with Retry-After) while `source` is over its limit. */
  assertAllowed(source: string): void {
    const until = this.blockedUntil.get(source);
    if (until === undefined) return;
    const left = until - this.blockedUntil.now();
    throw new DomainError(
      ErrorCode.RateLimited,
      'too many refused ingest hooks from this address; try again later',
      Math.ceil(left / 1000),
    );
  }

  async record(source: string): Promise<void> {
    const { limit, windowMs } = this.limit;
    // The storage blocks past `limit` hits; the limit-th denial is already the last one allowed.
    const record = await this.storage.increment(
      `ingest-denial:${source}`,
      windowMs,
      limit - 1,
      windowMs,
      THROTTLER,
    );
    if (record.isBlocked) {
      const until = this.blockedUntil.now() + record.timeToBlockExpire * 1000;
      this.blockedUntil.set(source, until, until);
    }
  }
}
