import { Injectable } from '@nestjs/common';
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
   * `publisher` is the publishing client's address (as the media server reports it): unknown
   * keys count against it, and past RATE_LIMIT_INGEST_DENIALS its publishes get 429.
   */
  async publish(streamKey: string, publisher: string): Promise<PublishOutcome> {
    this.denials.assertAllowed(`publisher:${publisher}`);
    const { outcome } = await this.lifecycle.publish(streamKey);
    if (outcome === 'unknown-key') await this.denials.record(`publisher:${publisher}`);
    return outcome;
  }

  /** Never rate-limited: a lost stop would leave the channel live. */
  async unpublish(streamKey: string): Promise<UnpublishOutcome> {
    return (await this.lifecycle.unpublish(streamKey)).outcome;
  }
}

export const DENIAL_REASONS: Record<'unknown-key' | 'already-live', string> = {
  'unknown-key': 'stream key is not known',
  'already-live': 'channel is already live',
};
