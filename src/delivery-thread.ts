import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { parentPort, workerData } from 'node:worker_threads';
import { AppModule } from './app.module.js';
import { ChannelEventBus, type ChannelEventRecorded } from './channel-events/channel-events.js';
import type { AppConfig } from './config/app-config.js';
import { databaseStatus } from './database/database-status.js';
import { WorkerLink } from './delivery/worker-link.js';
import { QuietFrameworkLogger } from './logging/quiet-framework.logger.js';
import { MetricsRegistry } from './metrics/metrics.registry.js';
import { startTracing } from './tracing/otel.js';
import { lowerThreadPriority } from './worker-thread/thread-priority.js';
import type { ThreadMessage } from './worker-thread/worker-thread.supervisor.js';

/**
 * The delivery worker's thread of a process of role `both` (main.ts starts it): the worker role's
 * modules (fan-out, the worker, retention, expiries) without HTTP, on the configuration main.ts
 * read, after main.ts applied the migrations. It takes the API thread's channel events and
 * wake-ups, answers its questions (is the worker running, its metrics), and on `stop` drains as
 * the service does on SIGTERM, then ends.
 */
const port = parentPort!;
/** How much lower than the process (the API thread) this thread runs, in nice steps. */
const DELIVERY_THREAD_NICENESS = 10;
// Deliveries take the CPU the API thread leaves: a hook's answer never waits behind a burst.
lowerThreadPriority(DELIVERY_THREAD_NICENESS);
const { config } = workerData as { config: AppConfig };
databaseStatus.forwardTo((reachable, code) =>
  port.postMessage({ type: 'database', reachable, code }),
);
// This thread's spans (its fan-outs and attempts) go out through an SDK of its own, when asked for.
const stopTracing = await startTracing(process.env);
const app = await NestFactory.createApplicationContext(
  AppModule.forConfig({ ...config, role: 'worker', migrateOnStart: false }),
  { bufferLogs: true },
);
app.useLogger(new QuietFrameworkLogger(app.get(PinoLogger)));
const bus = app.get(ChannelEventBus);
const link = app.get(WorkerLink);
const metrics = app.get(MetricsRegistry);

port.on('message', (message: ThreadMessage) => {
  // A question that fails is answered as failed (a scrape whose gauge could not be read fails as
  // it would in one thread); a failed drain ends the thread with code 1, which main.ts reports.
  answer(message).catch((error: Error) => {
    if (message.type === 'stop') process.exit(1);
    if (message.id !== undefined)
      port.postMessage({ id: message.id, type: 'failed', error: error.message });
  });
});
port.postMessage({ type: 'ready' });

async function answer(message: ThreadMessage): Promise<void> {
  const reply = (body: Record<string, unknown>) => port.postMessage({ id: message.id, ...body });
  switch (message.type) {
    case 'event': {
      const event = message.event as ChannelEventRecorded;
      bus.emit(event.name, event);
      return;
    }
    case 'wake':
      return link.wake();
    case 'health':
      return reply({ type: 'health', running: await link.running() });
    case 'metrics':
      return reply({ type: 'metrics', metrics: await metrics.registry.getMetricsAsJSON() });
    case 'stop':
      await app.close();
      await stopTracing?.();
      port.close();
      // the thread ends once nothing holds it; something that still would (a pooled socket) is not waited for
      setTimeout(() => process.exit(0), 1000).unref();
  }
}
