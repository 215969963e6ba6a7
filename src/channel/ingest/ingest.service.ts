import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../../common/errors.js';
import { IngestDenials } from '../../common/rate-limit/ingest-denials.js';
import {
  ChannelLifecycleService,
  type PublishOutcome,
  type UnpublishOutcome,
} from '../channel-lifecycle.service.js';

/**
 * The one place every media-server adapter calls: a publisher with this stream key connected or
 * left. Adapters only translate their wire formats onto it.
 */
@Injectable()
export class IngestService {
  constructor(
    private readonly lifecycle: ChannelLifecycleService,
    private readonly denials: IngestDenials,
  ) {}

  /**
   * Lets the publisher in (the channel goes live) or refuses it (Forbidden). `publisher` is the
   * publishing client's address (as the media server reports it): unknown keys count against it,
   * and past RATE_LIMIT_INGEST_DENIALS its publishes are refused as RateLimited. `mediaServer` is
   * the hook caller's address: the same server asking again may take over a session it lost.
   */
  async publish(streamKey: string, publisher: string, mediaServer: string): Promise<'live'> {
    this.denials.assertAllowed(`publisher:${publisher}`);
    const { outcome } = await this.lifecycle.publish(streamKey, { mediaServer });
    if (outcome === 'unknown-key') await this.denials.record(`publisher:${publisher}`);
    if (outcome !== 'live') throw denied(outcome);
    return outcome;
  }

  /**
   * The publisher is still there (a periodic update): keeps a live channel from being stopped as
   * stale (INGEST_STALE_AFTER). Never refused, so a media server does not drop a publisher for it.
   */
  update(streamKey: string): Promise<'live' | 'not-live'> {
    return this.lifecycle.touch(streamKey);
  }

  /** Never rate-limited: a lost stop would leave the channel live. */
  async unpublish(streamKey: string): Promise<UnpublishOutcome> {
    return (await this.lifecycle.unpublish(streamKey)).outcome;
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
