import { type DynamicModule, Module } from '@nestjs/common';
import type { Writable } from 'node:stream';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ChannelModule } from './channel/channel.module.js';
import { AuthGuard } from './common/auth/auth.guard.js';
import { ApiThrottlerGuard } from './common/rate-limit/api-throttler.guard.js';
import { RateLimitModule } from './common/rate-limit/rate-limit.module.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { type AppConfig, loadAppConfig } from './config/app-config.js';
import { DatabaseModule } from './database/database.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { DeliveryModule } from './delivery/delivery.module.js';
import { DeliveryLogModule } from './delivery-log/delivery-log.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { WebhookModule } from './webhook/webhook.module.js';

@Module({})
export class AppModule {
  /** `env` is read and validated here, once; tests pass their own. */
  static forRoot(
    env: Record<string, string | undefined> = process.env,
    options: { logDestination?: Writable } = {},
  ): DynamicModule {
    return AppModule.forConfig(loadAppConfig(env), options);
  }

  /** The same, with the configuration already read (main.ts needs it before the module). */
  static forConfig(app: AppConfig, options: { logDestination?: Writable } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ app })] }),
        LoggingModule.forRoot(options.logDestination),
        DatabaseModule,
        RateLimitModule,
        MetricsModule,
        // in the order data flows: subscriptions, channels (which raise events), delivery; the
        // console that reads what delivery wrote comes first only so that the API document lists
        // a webhook's delivery log before the controls that act on it
        WebhookModule,
        ChannelModule,
        DeliveryLogModule,
        DeliveryModule,
        HealthModule,
        DashboardModule,
      ],
      providers: [
        AuthGuard,
        { provide: APP_GUARD, useExisting: AuthGuard },
        { provide: APP_GUARD, useClass: ApiThrottlerGuard },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
      ],
    };
  }
}
