import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics.registry.js';
import { CHANNEL_STATUSES } from './channel.entity.js';
import { ChannelRepository } from './channel.repository.js';

/** The channels' metrics: events recorded here, and channels by status read at scrape time. */
@Injectable()
export class ChannelMetrics {
  readonly events: Counter<'event'>;

  constructor(metrics: MetricsRegistry, channels: ChannelRepository) {
    this.events = metrics.counter({
      name: 'channel_events_total',
      help: 'Channel events recorded by this instance, by name',
      labelNames: ['event'] as const,
    });
    metrics.gauge({
      name: 'channels',
      help: 'Channels by status',
      labelNames: ['status'] as const,
      async collect() {
        const counts = await channels.countByStatus();
        this.reset();
        for (const status of CHANNEL_STATUSES) this.set({ status }, counts[status]);
      },
    });
  }
}
