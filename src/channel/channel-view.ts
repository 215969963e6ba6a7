import type { ChannelDto } from './dto/channel-response.dto.js';
import type { ChannelEntity } from './channel.entity.js';

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/** The channel as the API shows it and as callbacks carry it: never the stream key. */
export function toChannelDto(channel: ChannelEntity): ChannelDto {
  return {
    id: channel.id,
    name: channel.name,
    description: channel.description,
    status: channel.status,
    reconnectWindow: channel.reconnectWindow,
    sessionId: channel.sessionId,
    liveAt: iso(channel.liveAt),
    stoppedAt: iso(channel.stoppedAt),
    endedAt: iso(channel.endedAt),
    createdAt: channel.createdAt.toISOString(),
    updatedAt: channel.updatedAt.toISOString(),
  };
}
