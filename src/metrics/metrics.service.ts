import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { DeliveryQueue } from '../channel-events/delivery/delivery.queue.js';
import { ChannelEntity } from '../channel/channel.entity.js';

/** Prometheus metrics of this instance; backlog and channel gauges are read from the database at scrape time. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'deliveries_total',
    help: 'Delivery attempts, by event and outcome (succeeded, retry, dead, gone)',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly attemptDuration = new Histogram({
    name: 'delivery_attempt_duration_seconds',
    help: 'Duration of delivery attempts, from connect to the answer read',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [this.registry],
  });

  readonly events = new Counter({
    name: 'channel_events_total',
    help: 'Channel events recorded by this instance, by name',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  constructor(@InjectDataSource() dataSource: DataSource, queue: DeliveryQueue) {
    collectDefaultMetrics({ register: this.registry });
    // One query serves the three backlog gauges of a scrape (and no later scrape).
    let backlog: ReturnType<DeliveryQueue['backlog']> | undefined;
    const read = () =>
      (backlog ??= queue.backlog().finally(() => setImmediate(() => (backlog = undefined))));
    new Gauge({
      name: 'deliveries_pending',
      help: 'Deliveries not yet done (queued, retrying or waiting in line)',
      registers: [this.registry],
      async collect() {
        this.set((await read()).pending);
      },
    });
    new Gauge({
      name: 'deliveries_due',
      help: 'Deliveries due to be sent now',
      registers: [this.registry],
      async collect() {
        this.set((await read()).due);
      },
    });
    new Gauge({
      name: 'deliveries_oldest_due_age_seconds',
      help: 'How long the oldest due delivery has waited (0 when none is due)',
      registers: [this.registry],
      async collect() {
        const { oldestDueAt } = await read();
        this.set(oldestDueAt ? Math.max(0, (Date.now() - oldestDueAt.getTime()) / 1000) : 0);
      },
    });
    new Gauge({
      name: 'channels',
      help: 'Channels by status',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await dataSource.manager
          .createQueryBuilder(ChannelEntity, 'channel')
          .select('channel.status', 'status')
          .addSelect('COUNT(*)', 'count')
          .groupBy('channel.status')
          .getRawMany<{ status: string; count: string | number }>();
        this.reset();
        for (const status of ['idle', 'live', 'stopped', 'ended']) {
          this.set({ status }, Number(rows.find((row) => row.status === status)?.count ?? 0));
        }
      },
    });
  }
}
