import { type DynamicModule, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { configureApp, createAdapter } from './app.setup.js';
import { type AppConfig, ConfigError, loadAppConfig } from './config/app-config.js';
import { VERSION } from './config/version.js';
import { databaseStatus } from './database/database-status.js';
import { QuietFrameworkLogger } from './logging/quiet-framework.logger.js';
import { startTracing } from './tracing/otel.js';
import { WorkerThreadSupervisor } from './worker-thread/worker-thread.supervisor.js';

/**
 * The delivery thread's young generation: each attempt's short-lived objects (request and answer
 * headers, the attempt's record) die there, and with V8's default for a thread (48 MiB) a burst
 * spent ≈ 11 % of the thread in scavenges; at 64 MiB ≈ 8 % less CPU per delivery, for ≈ 20 MiB
 * more peak RSS. (`--max-old-space-size` bounds the thread's old generation as it does the main
 * thread's.)
 */
const DELIVERY_THREAD_YOUNG_GENERATION_MB = 64;
/** Past SHUTDOWN_TIMEOUT, how long the delivery thread may take to close before it is ended. */
const THREAD_STOP_MARGIN_MS = 10_000;

if (existsSync('.env')) process.loadEnvFile('.env');

// Traces over OTLP when the standard OpenTelemetry variables ask for them; nothing loaded otherwise.
// Before the module is made: its controllers are traced only with tracing on.
const stopTracing = await startTracing(process.env);

let appModule: DynamicModule;
let config: AppConfig;
let workerThread: WorkerThreadSupervisor | undefined;
try {
  config = loadAppConfig(process.env);
  workerThread = deliveryThread(config);
  appModule = AppModule.forConfig(config, { workerThread });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const app = await NestFactory.create<NestFastifyApplication>(
  appModule,
  createAdapter(config.trustProxy),
  { bufferLogs: true },
);
app.useLogger(new QuietFrameworkLogger(app.get(PinoLogger)));
configureApp(app, VERSION);
// SIGTERM and SIGINT drain: stop taking work, finish what is in flight, close, exit 0.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    new Logger('Bootstrap').log(`${signal}: shutting down`);
    // The worker drains first (readiness says so at once), while the API still answers.
    // Its drain is bounded by SHUTDOWN_TIMEOUT; a thread that hangs past that is terminated.
    const deadlineMs = config.shutdownTimeoutMs + THREAD_STOP_MARGIN_MS;
    void (workerThread?.stop(deadlineMs) ?? Promise.resolve(0))
      .then(async (threadCode) => {
        await app.close();
        await stopTracing?.();
        if (workerThread?.terminated) {
          throw new Error(`the worker thread had not drained within ${deadlineMs} ms: terminated`);
        }
        if (threadCode !== 0) throw new Error(`the worker thread ended with code ${threadCode}`);
      })
      .then(
        () => process.exit(0),
        (error: Error) => {
          new Logger('Bootstrap').error('Shutdown failed', error.stack);
          process.exit(1);
        },
      );
  });
}
// Migrations were applied above, once; the worker thread fans out what a previous run left before
// the service takes requests.
if (workerThread) {
  workerThread.start();
  await workerThread.ready();
}
// '::' takes IPv6 and, on a dual-stack host, IPv4 too; HOST narrows it (e.g. 127.0.0.1).
await app.listen(config.port, config.host ?? '::');
const role = config.role === 'both' ? '' : ` (${config.role})`;
new Logger('Bootstrap').log(`channel-webhooks ${VERSION}${role} listening on ${listeningOn(app)}`);

/** The address really bound, as a URL; for the unspecified addresses, what they take in. */
function listeningOn(server: NestFastifyApplication): string {
  const bound = server.getHttpServer().address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const url = `http://${host}:${bound.port}`;
  if (bound.address === '::') return `${url} (every IPv6 and IPv4 address)`;
  if (bound.address === '0.0.0.0') return `${url} (every IPv4 address)`;
  return url;
}

/**
 * Role `both` runs the delivery worker in a thread of its own, so requests never wait behind
 * deliveries. On a SQLite file the two threads have a connection each: SQLite takes one writer at
 * a time, so a write of the API thread may wait out one of the worker's (better-sqlite3 waits
 * synchronously, in `busy_timeout`), but each of those lasts a statement or a short transaction,
 * where one thread for both made every hook wait behind the whole burst (the hooks answered
 * during a burst: 571/s in one thread, 1,922/s with the thread). An in-memory database one thread
 * alone can see: it keeps one thread. A thread that fails or ends unasked stops the service: it
 * never runs on without its worker.
 */
function deliveryThread(app: AppConfig): WorkerThreadSupervisor | undefined {
  if (app.role !== 'both') return undefined;
  if (app.database.type === 'sqlite' && app.database.path === ':memory:') return undefined;
  const thread = new WorkerThreadSupervisor(
    new URL('./delivery-thread.js', import.meta.url),
    { config: app },
    (reason, error) => {
      new Logger('Bootstrap').error(`${reason}; stopping`, error?.stack);
      process.exit(1);
    },
    { maxYoungGenerationSizeMb: DELIVERY_THREAD_YOUNG_GENERATION_MB },
  );
  // The thread's database outages are said here, once for the process with this thread's own.
  thread.on('database', (message) =>
    databaseStatus.heard(message.reachable === true, message.code as string | undefined),
  );
  return thread;
}
