import { Injectable } from '@nestjs/common';
import type { ChannelDto } from './dto/channel-response.dto.js';
import {
  ChannelLifecycleService,
  type PublishOutcome,
  type UnpublishOutcome,
} from './channel-lifecycle.service.js';
import { ChannelService } from './channel.service.js';

/** Where a host app's own code says its channels went live: in place of a media server's hook. */
export const HOST_MEDIA_SERVER = 'host';

/**
 * Raises a channel's events from a host app's own code, as the media servers' hooks do: the same
 * transitions, recorded with their events in one transaction and delivered to every webhook that
 * wants them. For a host that knows when its channels go live without a media server's hooks.
 */
@Injectable()
export class ChannelEventsService {
  constructor(
    private readonly channels: ChannelService,
    private readonly lifecycle: ChannelLifecycleService,
  ) {}

  /**
   * The channel goes live (`channel_live`), as on a publish: `'already-live'` when it is (no
   * event), `'unknown-key'` never (the channel's own key is used). Not found: a 404 error.
   */
  async live(channelId: string): Promise<PublishOutcome> {
    const streamKey = await this.channels.getStreamKey(channelId);
    const { outcome } = await this.lifecycle.publish(streamKey, {
      mediaServer: HOST_MEDIA_SERVER,
    });
    return outcome;
  }

  /**
   * The channel's publisher left (`channel_stop`); the session ends (`channel_ended`) when no
   * publisher comes back within the channel's reconnect window. `'not-live'` when it was not.
   */
  async stop(channelId: string): Promise<UnpublishOutcome> {
    const streamKey = await this.channels.getStreamKey(channelId);
    const { outcome } = await this.lifecycle.unpublish(streamKey);
    return outcome;
  }

  /** Ends the live session now (`channel_ended`); a conflict error unless live or stopped. */
  end(channelId: string): Promise<ChannelDto> {
    return this.channels.end(channelId);
  }
}
