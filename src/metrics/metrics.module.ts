import { Module } from '@nestjs/common';
import { HttpMetrics, MetricsRegistry } from './metrics.registry.js';

/** Prometheus metrics: a leaf every module may import to register what it measures. */
@Module({
  providers: [MetricsRegistry, HttpMetrics],
  exports: [MetricsRegistry, HttpMetrics],
})
export class MetricsModule {}
