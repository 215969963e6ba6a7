import { Injectable } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics.registry.js';
import { BacklogSnapshot } from './backlog-snapshot.js';

/**
 * Delivery's metrics: attempts by outcome and their duration, and the backlog read from the
 * database (so every instance reports the same backlog), counted at most once a second however
 * often it is scraped.
 */
@Injectable()
export class DeliveryMetrics {
  readonly deliveries: Counter<'event' | 'outcome'>;
  readonly attemptDuration: Histogram;

  constructor(metrics: MetricsRegistry, backlog: BacklogSnapshot) {
    this.deliveries = metrics.counter({
      name: 'deliveries_total',
      help: 'Delivery attempts, by event and outcome (succeeded, retry, dead, gone)',
      labelNames: ['event', 'outcome'] as const,
    });
    this.attemptDuration = metrics.histogram({
      name: 'delivery_attempt_duration_seconds',
      help: 'Duration of delivery attempts, from connect to the answer read',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    });
    const read = () => backlog.get();
    metrics.gauge({
      name: 'deliveries_pending',
      help: 'Deliveries not yet done (queued, retrying or waiting in line)',
      async collect() {
        this.set((await read()).pending);
      },
    });
    metrics.gauge({
      name: 'deliveries_due',
      help: 'Deliveries due to be sent now',
      async collect() {
        this.set((await read()).due);
      },
    });
    metrics.gauge({
      name: 'deliveries_oldest_due_age_seconds',
      help: 'How long the oldest due delivery has waited (0 when none is due)',
      async collect() {
        this.set((await read()).oldestDueAgeMs / 1000);
      },
    });
  }
}
