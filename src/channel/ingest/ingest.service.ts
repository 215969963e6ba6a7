import { Injectable } from '@nestjs/common';
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
  constructor(private readonly lifecycle: ChannelLifecycleService) {}

  async publish(streamKey: string): Promise<PublishOutcome> {
    return (await this.lifecycle.publish(streamKey)).outcome;
  }

  async unpublish(streamKey: string): Promise<UnpublishOutcome> {
    return (await this.lifecycle.unpublish(streamKey)).outcome;
  }
}

export const DENIAL_REASONS: Record<'unknown-key' | 'already-live', string> = {
  'unknown-key': 'stream key is not known',
  'already-live': 'channel is already live',
};
