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

  /** `address` is the caller's: refusals count against its RATE_LIMIT_INGEST_DENIALS. */
  async publish(streamKey: string, address: string): Promise<PublishOutcome> {
    const { outcome } = await this.lifecycle.publish(streamKey);
    if (outcome === 'unknown-key') await this.denials.record(address);
    return outcome;
  }

  async unpublish(streamKey: string, address: string): Promise<UnpublishOutcome> {
    const { outcome } = await this.lifecycle.unpublish(streamKey);
    if (outcome === 'unknown-key') await this.denials.record(address);
    return outcome;
  }
}

export const DENIAL_REASONS: Record<'unknown-key' | 'already-live', string> = {
  'unknown-key': 'stream key is not known',
  'already-live': 'channel is already live',
};
