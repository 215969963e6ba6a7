import { type DynamicModule, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { ChannelEventsModule } from '../channel-events/channel-events.module.js';
import { type ChannelEventRecorded, OnChannelEvent } from '../channel-events/channel-events.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { type MetricsJson, MetricsRegistry } from '../metrics/metrics.registry.js';
import { WorkerThreadSupervisor } from '../worker-thread/worker-thread.supervisor.js';
import { DeliveryModule } from './delivery.module.js';
import { WorkerLink } from './worker-link.js';

/**
 * The API thread's side of a delivery worker running in a thread of its own (role `both`): the
 * channel events this thread records and the operator's wake-ups are posted to the thread, whose
 * dispatcher and worker take them as if they had been raised there; readiness asks the thread
 * whether its worker runs, and /metrics includes the thread's delivery series.
 */
@Injectable()
export class DeliveryThreadBridge implements OnModuleInit {
  constructor(
    private readonly thread: WorkerThreadSupervisor,
    private readonly link: WorkerLink,
    private readonly metrics: MetricsRegistry,
  ) {}

  onModuleInit(): void {
    this.link.attach({
      wake: () => this.thread.post({ type: 'wake' }),
      running: async () =>
        this.thread.running && (await this.thread.ask({ type: 'health' })).running === true,
    });
    this.metrics.include(async () => {
      const answer = await this.thread.ask({ type: 'metrics' });
      if (answer.type === 'failed')
        throw new Error(`the worker thread's metrics: ${String(answer.error)}`);
      return (answer.metrics as MetricsJson | undefined) ?? [];
    });
  }

  @OnChannelEvent('channel_live', 'channel_stop', 'channel_ended')
  forward(event: ChannelEventRecorded): void {
    this.thread.post({ type: 'event', event });
  }
}

/** Provided in the API thread when the delivery worker runs in a thread (see main.ts). */
@Module({})
export class DeliveryThreadModule {
  static forThread(thread: WorkerThreadSupervisor): DynamicModule {
    return {
      module: DeliveryThreadModule,
      imports: [DeliveryModule, ChannelEventsModule, MetricsModule],
      providers: [{ provide: WorkerThreadSupervisor, useValue: thread }, DeliveryThreadBridge],
    };
  }
}
