import { Injectable } from '@nestjs/common';
import { ChannelEventRepository } from '../channel-events/channel-event.repository.js';
import { publicStatus } from '../delivery/delivery-view.js';
import { DeliveryLogRepository } from './delivery-log.repository.js';
import type { ChannelTimelineDto, EventDeliveryDto } from './dto/channel-timeline.dto.js';

/** At most this many deliveries are listed per event (by webhook id). */
export const TIMELINE_DELIVERIES_PER_EVENT = 100;

/** A channel's events, newest first, each with the deliveries it became. */
@Injectable()
export class ChannelTimelineService {
  constructor(
    private readonly events: ChannelEventRepository,
    private readonly log: DeliveryLogRepository,
  ) {}

  async timeline(
    channelId: string,
    before: string | undefined,
    length: number,
  ): Promise<ChannelTimelineDto> {
    // one more than asked: whether there is a next page
    const found = await this.events.ofChannel(channelId, before, length + 1);
    const shown = found.slice(0, length);
    const deliveries = await this.log.ofEvents(
      shown.map((event) => event.id),
      TIMELINE_DELIVERIES_PER_EVENT,
    );
    const byEvent = new Map<string, EventDeliveryDto[]>();
    for (const delivery of deliveries) {
      const list = byEvent.get(delivery.eventId) ?? [];
      list.push({
        webhookId: delivery.webhookId,
        deliveryId: delivery.id,
        status: publicStatus(delivery.status),
      });
      byEvent.set(delivery.eventId, list);
    }
    return {
      data: shown.map((event) => ({
        id: event.id,
        event: event.name,
        eventTime: event.eventTime,
        at: event.createdAt.toISOString(),
        sessionId: event.sessionId,
        deliveries: byEvent.get(event.id) ?? [],
      })),
      nextCursor: found.length > length ? shown[shown.length - 1].id : null,
    };
  }
}
