import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Writable } from 'node:stream';
import { ChannelWebhooksModule } from './channel-webhooks.module.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { type AppConfig, loadAppConfig } from './config/app-config.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { LoggingModule } from './logging/logging.module.js';
import type { WorkerThreadSupervisor } from './worker-thread/worker-thread.supervisor.js';

export interface AppModuleOptions {
  logDestination?: Writable;
  /** Role `both` with the worker's modules in this thread (main.ts starts it): the API's side. */
  workerThread?: WorkerThreadSupervisor;
}

/**
 * The standalone server: ChannelWebhooksModule with every route at the root, and what a host app
 * would bring itself: the JSON log, the console, and the API's error answer for routes nobody
 * serves (a 404).
 */
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
        LoggingModule.forRoot(options.logDestination),
        ChannelWebhooksModule.standalone(app, options.workerThread),
        ...(app.role === 'worker' ? [] : [DashboardModule]),
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
