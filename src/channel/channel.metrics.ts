import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { PROBE_SNAPSHOT_MS, Snapshot } from '../common/snapshot.js';
import { MetricsRegistry } from '../metrics/metrics.registry.js';
import { CHANNEL_STATUSES } from './channel.entity.js';
import { ChannelRepository } from './channel.repository.js';

/** The channels' metrics: events recorded here, and channels by status (counted at most once a second). */
@Injectable()
export class ChannelMetrics {
  readonly events: Counter<'event'>;

  constructor(metrics: MetricsRegistry, channels: ChannelRepository) {
    this.events = metrics.counter({
      name: 'channel_events_total',
      help: 'Channel events recorded by this instance, by name',
      labelNames: ['event'] as const,
    });
    const counts = new Snapshot(PROBE_SNAPSHOT_MS, () => channels.countByStatus());
    metrics.gauge({
      name: 'channels',
      help: 'Channels by status',
      labelNames: ['status'] as const,
      async collect() {
        const byStatus = await counts.get();
        this.reset();
        for (const status of CHANNEL_STATUSES) this.set({ status }, byStatus[status]);
      },
    });
  }
}
