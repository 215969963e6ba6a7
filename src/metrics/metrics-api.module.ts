import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsModule } from './metrics.module.js';

/** GET /metrics: the registry's metrics, where the service's routes are served. */
@Module({ imports: [MetricsModule], controllers: [MetricsController] })
export class MetricsApiModule {}
