import {
  type DynamicModule,
  type InjectionToken,
  Module,
  type ModuleMetadata,
} from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { ChannelApiModule } from './channel/channel-api.module.js';
import { ChannelJobsModule } from './channel/channel-jobs.module.js';
import { ChannelModule } from './channel/channel.module.js';
import { RateLimitModule } from './common/rate-limit/rate-limit.module.js';
import { traceControllers } from './common/service-controller.decorator.js';
import {
  type AppConfig,
  ConfigError,
  loadAppConfig,
  type ServiceRole,
} from './config/app-config.js';
import { APP_CONFIG, AppConfigModule } from './config/app-config.module.js';
import { DatabaseModule, type HostConnection } from './database/database.module.js';
import { DeliveryApiModule } from './delivery/delivery-api.module.js';
import { DeliveryThreadModule } from './delivery/delivery-thread.module.js';
import { DeliveryWorkerModule } from './delivery/delivery-worker.module.js';
import { DeliveryLogModule } from './delivery-log/delivery-log.module.js';
import { ENTITIES } from './entities.js';
import { EventTypesModule } from './event-types/event-types.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsApiModule } from './metrics/metrics-api.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { WebhookApiModule } from './webhook/webhook-api.module.js';
import { WebhookJobsModule } from './webhook/webhook-jobs.module.js';
import { WebhookModule } from './webhook/webhook.module.js';
import type { WorkerThreadSupervisor } from './worker-thread/worker-thread.supervisor.js';

/** Settings by their names in the configuration reference (DATABASE_URL, API_KEYS, …). */
export type ChannelWebhooksSettings = Record<string, string | undefined>;

/** How the module fits in a host app: everything but the settings themselves. */
export interface ChannelWebhooksShape {
  /**
   * Where the tables are: a connection of the module's own to DATABASE_URL (`'own'`, the
   * default: the embedded SQLite file unless set), or the host's TypeORM connection.
   */
  database?: 'own' | { host: HostConnection };
  /**
   * The HTTP API (webhooks, channels, ingest hooks, deliveries, event types, health, metrics):
   * mounted under `prefix` (`'/'`, the default: where the standalone server serves it), or not at
   * all (`false`): the host then reaches the module through its exported services only.
   */
  routes?: { prefix?: string } | false;
  /**
   * What runs in this process: the API and the delivery worker (`'both'`, the default), the API
   * only (`'api'`: another process delivers) or the worker only (`'worker'`).
   */
  role?: ServiceRole;
}

export interface ChannelWebhooksOptions extends ChannelWebhooksShape {
  /** Unset ones take their defaults; process.env is not read. */
  settings?: ChannelWebhooksSettings;
}

export interface ChannelWebhooksAsyncOptions extends ChannelWebhooksShape {
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  /** The settings, e.g. from the host's ConfigService. */
  useFactory: (...args: never[]) => ChannelWebhooksSettings | Promise<ChannelWebhooksSettings>;
}

type ModuleList = NonNullable<ModuleMetadata['imports']>;

/**
 * The API's modules. In the order data flows: subscriptions, channels (which raise events),
 * delivery; the delivery log comes first only so that the API document lists a webhook's log
 * before the controls that act on it.
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
 * The settings read and checked; the module's `role`, when given, must be the settings'
 * SERVICE_ROLE (the modules it is made of depend on it).
 */
function settled(settings: ChannelWebhooksSettings, role: ServiceRole | undefined): AppConfig {
  const config = loadAppConfig(settings);
  if (role !== undefined && config.role !== role) {
    throw new ConfigError([
      `SERVICE_ROLE is ${config.role} in the settings but ${role} in the module's options`,
    ]);
  }
  return config;
}

/**
 * The webhook service as a module: subscriptions, channels and their events, durable signed
 * delivery. A host NestJS app imports it (`forRoot`, `forRootAsync`) and injects WebhookService,
 * ChannelService and ChannelEventsService; the standalone server is this module too (`standalone`).
 */
@Module({})
export class ChannelWebhooksModule {
  static forRoot(options: ChannelWebhooksOptions = {}): DynamicModule {
    const config = settled(options.settings ?? {}, options.role);
    return ChannelWebhooksModule.build(
      { ...options, role: config.role },
      AppConfigModule.forConfig(config),
    );
  }

  static forRootAsync(options: ChannelWebhooksAsyncOptions): DynamicModule {
    const { imports = [], inject = [], useFactory } = options;
    const config = {
      imports,
      ...AppConfigModule.forProvider({
        provide: APP_CONFIG,
        inject,
        useFactory: async (...args: unknown[]) =>
          settled(await useFactory(...(args as never[])), options.role ?? 'both'),
      }),
    };
    return ChannelWebhooksModule.build(options, config);
  }

  /**
   * The standalone server's (AppModule): every route at the root. `workerThread`: role `both`
   * with the worker in a thread of its own (main.ts), the API's side of it.
   */
  static standalone(config: AppConfig, workerThread?: WorkerThreadSupervisor): DynamicModule {
    return ChannelWebhooksModule.build(
      { role: config.role },
      AppConfigModule.forConfig(config),
      workerThread,
    );
  }

  private static build(
    shape: ChannelWebhooksShape,
    config: DynamicModule,
    workerThread?: WorkerThreadSupervisor,
  ): DynamicModule {
    const role = shape.role ?? 'both';
    const database = shape.database ?? 'own';
    const routes = shape.routes ?? {};
    const api = role !== 'worker';
    const worker = role !== 'api';
    // Every process serves its metrics and health probes (orchestrators probe each).
    const served: ModuleList =
      routes === false ? [] : [MetricsApiModule, ...(api ? API : []), HealthModule];
    const prefix = routes === false ? '' : (routes.prefix ?? '').replace(/^\/+|\/+$/g, '');
    traceControllers(served);
    return {
      module: ChannelWebhooksModule,
      imports: [
        config,
        database === 'own'
          ? DatabaseModule.own(ENTITIES)
          : DatabaseModule.onHost(database.host, ENTITIES),
        RateLimitModule,
        MetricsModule,
        WebhookModule,
        ChannelModule,
        ...served,
        ...(worker && !workerThread ? WORKER : []),
        ...(worker && workerThread ? [DeliveryThreadModule.forThread(workerThread)] : []),
        ...(prefix === ''
          ? []
          : [RouterModule.register([{ path: prefix, children: served as never[] }])]),
      ],
      exports: [WebhookModule, ChannelModule],
    };
  }
}
