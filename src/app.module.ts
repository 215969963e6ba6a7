import { type DynamicModule, Module } from '@nestjs/common';
import type { Writable } from 'node:stream';
import { APP_FILTER } from '@nestjs/core';
import { ChannelApiModule } from './channel/channel-api.module.js';
import { ChannelJobsModule } from './channel/channel-jobs.module.js';
import { RateLimitModule } from './common/rate-limit/rate-limit.module.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { type AppConfig, loadAppConfig, type ServiceRole } from './config/app-config.js';
import { AppConfigModule } from './config/app-config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { ENTITIES } from './entities.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { DeliveryApiModule } from './delivery/delivery-api.module.js';
import { DeliveryThreadModule } from './delivery/delivery-thread.module.js';
import { DeliveryWorkerModule } from './delivery/delivery-worker.module.js';
import { DeliveryLogModule } from './delivery-log/delivery-log.module.js';
import { EventTypesModule } from './event-types/event-types.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { WebhookApiModule } from './webhook/webhook-api.module.js';
import { WebhookJobsModule } from './webhook/webhook-jobs.module.js';
import type { WorkerThreadSupervisor } from './worker-thread/worker-thread.supervisor.js';

export interface AppModuleOptions {
  logDestination?: Writable;
  /** Role `both` with the worker's modules in this thread (main.ts starts it): the API's side. */
  workerThread?: WorkerThreadSupervisor;
}

type ModuleList = NonNullable<DynamicModule['imports']>;

/**
 * What a process of role `api` serves: the API, the ingest hooks and the console. In the order
 * data flows: subscriptions, channels (which raise events), delivery; the console that reads what
 * delivery wrote comes first only so that the API document lists a webhook's delivery log before
 * the controls that act on it.
 */
const API: ModuleList = [
  WebhookApiModule,
  ChannelApiModule,
  DeliveryLogModule,
  DeliveryApiModule,
  EventTypesModule,
];
/** Fan-out, the delivery worker and every background job (retention, expiries). */
const WORKER: ModuleList = [WebhookJobsModule, ChannelJobsModule, DeliveryWorkerModule];

/**
 * The role's modules; health and metrics are every process's (orchestrators probe each). With a
 * worker thread, this thread runs the API and reaches the worker's modules in the thread.
 */
function roleModules(role: ServiceRole, workerThread?: WorkerThreadSupervisor): ModuleList {
  const api = role !== 'worker';
  const worker = role !== 'api';
  return [
    ...(api ? API : []),
    ...(worker && !workerThread ? WORKER : []),
    ...(worker && workerThread ? [DeliveryThreadModule.forThread(workerThread)] : []),
    HealthModule,
    ...(api ? [DashboardModule] : []),
  ];
}

@Module({})
export class AppModule {
  /** `env` is read and validated here, once; tests pass their own. */
  static forRoot(
    env: Record<string, string | undefined> = process.env,
    options: AppModuleOptions = {},
  ): DynamicModule {
    return AppModule.forConfig(loadAppConfig(env), options);
  }

  /** The same, with the configuration already read (main.ts needs it before the module). */
  static forConfig(app: AppConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forConfig(app),
        LoggingModule.forRoot(options.logDestination),
        DatabaseModule.own(ENTITIES),
        RateLimitModule,
        MetricsModule,
        ...roleModules(app.role, options.workerThread),
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
