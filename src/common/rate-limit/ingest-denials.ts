import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import type { AppConfig, RateLimit } from '../../config/app-config.js';

const THROTTLER = 'ingest-denials';

/**
 * Counts refused ingest hooks per client address (guessing stream keys or the token) in the
 * throttler's storage; past RATE_LIMIT_INGEST_DENIALS the address gets 429 until its window ends.
 */
@Injectable()
export class IngestDenials {
  private readonly limit: RateLimit;
  /** Addresses past the limit, until when (ms): checked before any work is done for them. */
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    config: ConfigService<{ app: AppConfig }, true>,
  ) {
    this.limit = config.get('app', { infer: true }).rateLimits.ingestDenials;
  }

  /** Throws 429 (with Retry-After) while `address` is over its limit. */
  assertAllowed(address: string, reply: FastifyReply): void {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return;
    const left = until - Date.now();
    if (left <= 0) {
      this.blockedUntil.delete(address);
      return;
    }
    void reply.header('Retry-After', String(Math.ceil(left / 1000)));
    throw new HttpException(
      'too many refused ingest hooks from this address; try again later',
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }

  async record(address: string): Promise<void> {
    const { limit, windowMs } = this.limit;
    // The storage blocks past `limit` hits; the limit-th denial is already the last one allowed.
    const record = await this.storage.increment(
      `ingest-denial:${address}`,
      windowMs,
      limit - 1,
      windowMs,
      THROTTLER,
    );
    if (record.isBlocked)
      this.blockedUntil.set(address, Date.now() + record.timeToBlockExpire * 1000);
  }
}
