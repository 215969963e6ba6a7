import { Injectable } from '@nestjs/common';
import { isMainThread } from 'node:worker_threads';
import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Counter,
  type CounterConfiguration,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';

/** A registry's series as `getMetricsAsJSON` gives them (what a worker thread sends over). */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/**
 * The instance's Prometheus registry, with Node's process metrics. It knows no feature: each
 * module registers the counters, histograms and gauges of what it owns.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  /** Other registries of this process whose series /metrics answers too. */
  private readonly included: (() => Promise<MetricsJson>)[] = [];

  constructor() {
    // A worker thread's process is the main thread's, which reports it.
    if (isMainThread) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Adds another registry's series (a worker thread's) to what /metrics answers: counters and
   * histograms both have are summed; of a gauge both have (counted in the database), this one's.
   */
  include(source: () => Promise<MetricsJson>): void {
    this.included.push(source);
  }

  counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  histogram<L extends string>(config: HistogramConfiguration<L>): Histogram<L> {
    return new Histogram({ ...config, registers: [this.registry] });
  }

  /** A gauge, usually with a `collect` that reads the value at scrape time. */
  gauge<L extends string>(config: GaugeConfiguration<L>): Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  async metrics(): Promise<string> {
    if (this.included.length === 0) return this.registry.metrics();
    const own = (await this.registry.getMetricsAsJSON()) as MetricsJson;
    // getMetricsAsJSON says the type in words, whatever its declared enum says
    const gauges = new Set(own.filter((m) => (m.type as unknown) === 'gauge').map((m) => m.name));
    const others = await Promise.all(this.included.map((source) => source()));
    const merged = AggregatorRegistry.aggregate([
      own,
      ...others.map((series) => series.filter((m) => !gauges.has(m.name))),
    ]);
    return merged.metrics();
  }
}

/** What every HTTP answer counts towards, fed by the request hook in app.setup.ts. */
@Injectable()
export class HttpMetrics {
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;

  constructor(metrics: MetricsRegistry) {
    this.requests = metrics.counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'] as const,
    });
    this.duration = metrics.histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
  }
}
