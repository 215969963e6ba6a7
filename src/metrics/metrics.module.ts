import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { HttpMetrics, MetricsRegistry } from './metrics.registry.js';

/** Prometheus metrics: a leaf every module may import to register what it measures. */
@Module({
  controllers: [MetricsController],
  providers: [MetricsRegistry, HttpMetrics],
  exports: [MetricsRegistry, HttpMetrics],
})
export class MetricsModule {}
