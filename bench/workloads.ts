import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { createChannel } from '../test/helpers/channels.js';
import { createWebhook } from '../test/helpers/webhooks.js';
import {
  BareReads,
  DEFAULT_DELIVERY_CONCURRENCY,
  type ProbeRun,
  runDesignProbe,
} from './ceilings.js';
import { closedLoop, HttpClient, pool } from './http.js';
import { Receiver, type ReceiverCounts } from './receiver-handle.js';
import { seedFailed } from './seed.js';
import { type Database, type Databases, type PhaseUsage, Service, serviceEnv } from './service.js';
import { formatNumber, median, percentile, sleep } from './stats.js';

export interface Goal {
  op: '>=' | '<=';
  target: number;
  text: string;
}

export interface Metric {
  name: string;
  /** NaN when it could not be measured. */
  value: number;
  unit: string;
  goal?: Goal;
  /** Said beside the value, e.g. that a drain timed out and what it reached. */
  note?: string;
}

export interface ServiceOutput {
  lines: number;
  /** The first lines it wrote (LOG_LEVEL=error: anything here is an error or a warning). */
  head: string[];
  /** Its last lines, when it wrote more than the service keeps from the start. */
  tail: string[];
}

export interface WorkloadResult {
  metrics: Metric[];
  /** Findings worth a look that are not metrics: duplicates, lines in the service's log. */
  notes: string[];
  service: ServiceOutput[];
  error?: string;
}

export interface Settings {
  scale: number;
  /** Multiplies every wait for callbacks (the drain's own timeout is separate). */
  timeoutScale: number;
  drainTimeoutMs: number;
}

export interface Context {
  databases: Databases;
  /** The database server's processes, counted as the bench's own when looking for other load. */
  databasePids: number[];
  settings: Settings;
  log: (line: string) => void;
}

/** A workload failed its sanity check (callbacks lost, hooks refused, service gone): exit non-zero. */
export class SanityError extends Error {}

const scaled = (settings: Settings, count: number, min = 1) =>
  Math.max(min, Math.round(count * settings.scale));

const ge = (target: number, text: string): Goal => ({ op: '>=', target, text });
const le = (target: number, text: string): Goal => ({ op: '<=', target, text });

/**
 * One workload's world: a fresh database, a receiver, the service on that database. Torn down in
 * every case (service first, then receiver, then the database), and the service's own output
 * lands in the result.
 */
async function withService(
  context: Context,
  env: Record<string, string>,
  body: (
    service: Service,
    receiver: Receiver,
    result: WorkloadResult,
    database: Database,
  ) => Promise<void>,
): Promise<WorkloadResult> {
  const result: WorkloadResult = { metrics: [], notes: [], service: [] };
  const database = await context.databases.create();
  let receiver: Receiver | undefined;
  let service: Service | undefined;
  try {
    receiver = await Receiver.start();
    service = await Service.start(database.url, env);
    service.meter.companions = [receiver.pid, process.pid, ...context.databasePids];
    await body(service, receiver, result, database);
  } catch (error) {
    result.error = (error as Error).message;
    // A refused connection or a timeout is explained by the service being gone, if it is.
    const ended = service?.ended;
    if (ended && !result.error.includes(ended))
      result.error += ` (the service had ended: ${ended})`;
  } finally {
    try {
      if (service) {
        await service.stop();
        result.service.push({
          lines: service.outputLines,
          head: service.output.slice(0, 20),
          tail: service.outputTail,
        });
        if (service.outputLines > 0)
          result.notes.push(
            `the service wrote ${service.outputLines} log line(s) at LOG_LEVEL=error`,
          );
      }
      await receiver?.stop();
    } finally {
      await database.drop();
    }
  }
  return result;
}

export async function createWebhooks(
  context: Context,
  service: Service,
  receiver: Receiver,
  count: number,
): Promise<string[]> {
  const progress = progressLog(context, count, 'webhooks created');
  return pool(
    Array.from({ length: count }, (_, i) => i),
    32,
    async (i) => {
      const webhook = await createWebhook(service.http, { uri: receiver.uri(i) });
      progress.tick();
      return webhook.id;
    },
  );
}

export interface Channel {
  id: string;
  streamKey: string;
}

export async function createChannels(
  context: Context,
  service: Service,
  count: number,
): Promise<Channel[]> {
  const progress = progressLog(context, count, 'channels created');
  return pool(
    Array.from({ length: count }, (_, i) => i),
    32,
    async (i) => {
      // A long reconnect window: no channel_ended may come due during a workload.
      const channel = await createChannel(service.http, {
        name: `bench ${i}`,
        reconnectWindow: 1800,
      });
      progress.tick();
      return { id: channel.id, streamKey: channel.streamKey };
    },
  );
}

function progressLog(context: Context, total: number, what: string) {
  let done = 0;
  let last = Date.now();
  return {
    tick(count = 1) {
      done += count;
      if (Date.now() - last >= 2000 && done < total) {
        context.log(`… ${formatNumber(done)}/${formatNumber(total)} ${what}`);
        last = Date.now();
      }
    },
  };
}

interface HookRun {
  /** Date.now() when the first hook was sent. */
  started: number;
  finished: number;
  latencies: number[];
  /** Date.now() when each hook was answered, in answer order. */
  answeredAt: number[];
  perSecond: number;
}

const EXPECTED_OUTCOME = { publish: 'live', unpublish: 'stopped' } as const;

/** Sends one generic ingest hook, as a media server would; anything but the state change fails. */
export async function hook(
  client: HttpClient,
  streamKey: string,
  action: 'publish' | 'unpublish',
): Promise<number> {
  const answer = await client.request('POST', '/v1/ingest/events?token=bench', {
    streamKey,
    action,
  });
  const outcome = answer.status === 200 ? (JSON.parse(answer.body) as { outcome: string }) : null;
  if (outcome?.outcome !== EXPECTED_OUTCOME[action]) {
    throw new SanityError(
      `${action} hook answered ${answer.status} ${answer.body.slice(0, 200)} (expected "${EXPECTED_OUTCOME[action]}")`,
    );
  }
  return answer.ms;
}

/** `channels` go live (or stop) through the generic ingest hook, `inFlight` hooks at a time. */
async function hooks(
  context: Context,
  service: Service,
  channels: readonly Channel[],
  action: 'publish' | 'unpublish',
  inFlight: number,
): Promise<HookRun> {
  const client = new HttpClient(service.port, inFlight, {});
  const progress = progressLog(context, channels.length, `${action} hooks answered`);
  try {
    const started = Date.now();
    const t0 = performance.now();
    const answeredAt: number[] = [];
    const latencies = await pool(channels, inFlight, async (channel) => {
      const ms = await hook(client, channel.streamKey, action);
      answeredAt.push(Date.now());
      progress.tick();
      return ms;
    });
    const seconds = (performance.now() - t0) / 1000;
    return {
      started,
      finished: Date.now(),
      latencies,
      answeredAt,
      perSecond: channels.length / seconds,
    };
  } finally {
    client.close();
  }
}

interface Waited extends ReceiverCounts {
  timedOut: boolean;
}

/**
 * Polls the receiver until `expected` distinct messages were answered 200. Past the timeout it
 * fails (callbacks lost), unless `reportOnTimeout`, which answers what was reached.
 */
export async function waitDelivered(
  context: Context,
  service: Service,
  receiver: Receiver,
  expected: number,
  timeoutMs: number,
  reportOnTimeout = false,
): Promise<Waited> {
  const started = Date.now();
  let lastLog = started;
  for (;;) {
    const counts = await receiver.counts();
    if (counts.delivered >= expected) return { ...counts, timedOut: false };
    service.assertRunning();
    const now = Date.now();
    if (now - started > timeoutMs) {
      if (reportOnTimeout) return { ...counts, timedOut: true };
      throw new SanityError(
        `callbacks lost: ${counts.delivered} of ${expected} delivered within ${Math.round(timeoutMs / 1000)} s`,
      );
    }
    if (now - lastLog >= 1000) {
      context.log(`… ${formatNumber(counts.delivered)}/${formatNumber(expected)} delivered`);
      lastLog = now;
    }
    await sleep(50);
  }
}

/**
 * After the last callback, the service still records the last attempts; the phase's CPU time
 * should hold that work too, so it is read a little later.
 */
export const RECORD_SETTLE_MS = 300;

/** Every webhook got every channel's message once: per-webhook counts equal `perWebhook`. */
export async function checkSpread(
  receiver: Receiver,
  webhooks: number,
  perWebhook: number,
  result: WorkloadResult,
) {
  const stats = await receiver.stats();
  const wrong = Object.entries(stats.perWebhook).filter(([, count]) => count !== perWebhook);
  const seen = Object.keys(stats.perWebhook).length;
  if (seen !== webhooks || wrong.length > 0) {
    throw new SanityError(
      `callbacks misrouted: ${seen} of ${webhooks} webhooks heard from; ${wrong.length} with a count other than ${perWebhook}`,
    );
  }
  if (stats.duplicates > 0)
    result.notes.push(
      `${stats.duplicates} duplicate callback(s) (same webhook-id answered 200 again)`,
    );
  return stats;
}

/** Notes when other processes on the machine took CPU during a phase: its figures are suspect. */
export function disturbed(result: WorkloadResult, usage: PhaseUsage, phase: string): PhaseUsage {
  // Kernel threads and interrupts take about 0.1 core on a quiet machine.
  if (usage.otherCores >= 0.3) {
    result.notes.push(
      `other processes on the machine used ${usage.otherCores.toFixed(2)} cores on average during ${phase}: its figures are disturbed`,
    );
  }
  return usage;
}

export const cpuPerDelivery = (cpuMs: number, deliveries: number) => (cpuMs * 1000) / deliveries;

/**
 * Creates the webhooks and channels, then makes every channel go live (`inFlight` hooks at a
 * time) and waits for all the callbacks; the timed phase runs from the first hook to the last
 * outcome written.
 */
async function goLive(
  context: Context,
  service: Service,
  receiver: Receiver,
  result: WorkloadResult,
  set: { webhooks: number; channelCount: number; inFlight: number; timeoutMs: number },
) {
  const { webhooks, channelCount, inFlight } = set;
  const expected = webhooks * channelCount;
  await createWebhooks(context, service, receiver, webhooks);
  const channels = await createChannels(context, service, channelCount);
  context.log(
    `${channelCount} channels go live, ${inFlight} hooks in flight → ${expected} callbacks`,
  );
  const endPhase = service.meter.phase();
  const run = await hooks(context, service, channels, 'publish', inFlight);
  const timeoutMs = set.timeoutMs * context.settings.timeoutScale;
  const done = await waitDelivered(context, service, receiver, expected, timeoutMs);
  await sleep(RECORD_SETTLE_MS);
  const usage = disturbed(result, endPhase(), 'the timed phase');
  const stats = await checkSpread(receiver, webhooks, channelCount, result);
  return { run, done, usage, stats };
}

/**
 * Hooks answered per second while deliveries flow: from the first callback at the receiver to the
 * last hook answered (NaN when the hooks were all answered before the first callback).
 */
function hooksWhileDelivering(run: HookRun, firstDelivered: number): number {
  const end = run.answeredAt.at(-1) ?? 0;
  const seconds = (end - firstDelivered) / 1000;
  if (!(seconds > 0)) return NaN;
  return run.answeredAt.filter((at) => at > firstDelivered).length / seconds;
}

/**
 * The design probe (probe.ts) on a fresh MySQL database, sending the same deliveries to the same
 * receiver, its bodies the size of the service's; the receiver has to count every one of them.
 */
async function designProbe(
  context: Context,
  receiver: Receiver,
  result: WorkloadResult,
  set: { webhooks: number; events: number; bodyBytes: number },
): Promise<ProbeRun> {
  const expected = set.webhooks * set.events;
  const concurrency = Number(serviceEnv().DELIVERY_CONCURRENCY ?? DEFAULT_DELIVERY_CONCURRENCY);
  context.log(`design probe: ${expected} deliveries, ${concurrency} in flight`);
  await receiver.reset();
  const database = await context.databases.create();
  try {
    const probe = await runDesignProbe(
      { databaseUrl: database.url, receiverPort: receiver.port, concurrency, ...set },
      120_000 * context.settings.timeoutScale,
      [receiver.pid, process.pid, ...context.databasePids],
    );
    disturbed(result, probe.usage, 'the design probe');
    if (probe.lockRetries > 0)
      result.notes.push(
        `the design probe ran ${probe.lockRetries} transaction(s) again after a deadlock or lock wait timeout`,
      );
    const counts = await receiver.counts();
    if (counts.delivered !== expected)
      throw new SanityError(
        `the design probe delivered ${counts.delivered} of ${expected} (the receiver's count)`,
      );
    return probe;
  } finally {
    await database.drop();
  }
}

export async function burst(context: Context): Promise<WorkloadResult> {
  const webhooks = 20;
  const channelCount = scaled(context.settings, 1000);
  const expected = webhooks * channelCount;
  return withService(context, {}, async (service, receiver, result) => {
    const { run, done, usage, stats } = await goLive(context, service, receiver, result, {
      webhooks,
      channelCount,
      inFlight: 16,
      timeoutMs: 120_000,
    });
    const rate = expected / ((done.lastDelivered - run.started) / 1000);

    // The ceiling: the same receiver, a bare keep-alive client, bodies of the same size.
    await service.stop();
    await receiver.reset();
    const padding = Math.max(0, stats.bodyBytes - 60);
    const body = JSON.stringify({
      event: 'channel_live',
      eventTime: Date.now(),
      padding: 'x'.repeat(padding),
    });
    const bareTotal = 5000;
    context.log(`bare node:http loop: ${bareTotal} POSTs of ${body.length} bytes, 64 in flight`);
    const bareClient = new HttpClient(receiver.port, 64, {});
    let bare;
    try {
      // Connections opened and code warmed first: the ceiling is what a warm client reaches.
      await closedLoop(bareClient, 64, () => ({ method: 'POST', path: '/hook', body }), {
        total: 500,
      });
      bare = await closedLoop(bareClient, 64, () => ({ method: 'POST', path: '/hook', body }), {
        total: bareTotal,
      });
    } finally {
      bareClient.close();
    }
    result.metrics.push(
      { name: 'deliveries/s', value: rate, unit: '/s', goal: ge(5000, '≥ 5,000/s') },
      { name: `${channelCount} hooks answered in`, value: run.finished - run.started, unit: 'ms' },
      { name: 'hooks/s', value: run.perSecond, unit: '/s' },
      {
        name: 'hooks/s while deliveries flow',
        value: hooksWhileDelivering(run, done.firstDelivered),
        unit: '/s',
        goal: ge(1000, '≥ 1,000/s'),
      },
      { name: 'event→receiver p50', value: percentile(stats.latencies, 50), unit: 'ms' },
      { name: 'event→receiver p99', value: percentile(stats.latencies, 99), unit: 'ms' },
      {
        name: 'service CPU per delivery',
        value: cpuPerDelivery(usage.cpuMs, expected),
        unit: 'µs',
        goal: le(150, '≤ 150 µs'),
      },
      { name: 'service peak RSS', value: usage.peakRssMb, unit: 'MiB' },
      { name: 'bare loop (ceiling)', value: bare.perSecond, unit: 'req/s' },
      {
        name: 'deliveries/s ÷ ceiling',
        value: rate / bare.perSecond,
        unit: '×',
        goal: ge(0.3, '≥ 0.3'),
      },
    );

    // The design's own speed: only on MySQL, the database it is written for. The service's
    // figures are in the result already, should the probe fail.
    const probe =
      context.databases.kind === 'mysql'
        ? await designProbe(context, receiver, result, {
            webhooks,
            events: channelCount,
            bodyBytes: stats.bodyBytes,
          })
        : undefined;
    result.metrics.push(
      { name: 'design probe deliveries/s', value: probe?.perSecond ?? NaN, unit: '/s' },
      {
        name: 'design probe CPU per delivery',
        value: probe ? cpuPerDelivery(probe.usage.cpuMs, probe.deliveries) : NaN,
        unit: 'µs',
      },
      {
        name: 'deliveries/s ÷ design probe',
        value: probe ? rate / probe.perSecond : NaN,
        unit: '×',
        goal: ge(0.7, '≥ 0.7'),
      },
    );
  });
}

export async function reconnect(context: Context): Promise<WorkloadResult> {
  const webhooks = 5;
  const channelCount = scaled(context.settings, 2000);
  const expected = webhooks * channelCount;
  return withService(context, {}, async (service, receiver, result) => {
    const { run, done, usage, stats } = await goLive(context, service, receiver, result, {
      webhooks,
      channelCount,
      inFlight: 64,
      timeoutMs: 180_000,
    });
    const within = (done.lastDelivered - run.started) / 1000;
    result.metrics.push(
      { name: 'hooks/s', value: run.perSecond, unit: '/s', goal: ge(1500, '≥ 1,500/s') },
      { name: 'hook answer p50', value: percentile(run.latencies, 50), unit: 'ms' },
      {
        name: 'hook answer p99',
        value: percentile(run.latencies, 99),
        unit: 'ms',
        goal: le(50, '≤ 50 ms'),
      },
      { name: 'all callbacks within', value: within, unit: 's', goal: le(3, '≤ 3 s') },
      { name: 'deliveries/s', value: expected / within, unit: '/s' },
      { name: 'event→receiver p99', value: percentile(stats.latencies, 99), unit: 'ms' },
      {
        name: 'service CPU per delivery',
        value: cpuPerDelivery(usage.cpuMs, expected),
        unit: 'µs',
      },
      { name: 'service peak RSS', value: usage.peakRssMb, unit: 'MiB' },
    );
  });
}

export async function steady(context: Context): Promise<WorkloadResult> {
  const webhooks = 10;
  const perSecond = 50;
  // An even number: every transition pairs a publish with an unpublish.
  const transitions = 2 * Math.max(1, Math.round((perSecond * 10 * context.settings.scale) / 2));
  const expected = transitions * webhooks;
  return withService(context, {}, async (service, receiver, result) => {
    await createWebhooks(context, service, receiver, webhooks);
    // Publishes go to the first half; unpublishes to the second half, live before the phase: so
    // every transition is a real state change and the two kinds alternate.
    const channels = await createChannels(context, service, transitions);
    const half = transitions / 2;
    const toPublish = channels.slice(0, half);
    const toStop = channels.slice(half);
    await hooks(context, service, toStop, 'publish', 16);
    await waitDelivered(
      context,
      service,
      receiver,
      half * webhooks,
      120_000 * context.settings.timeoutScale,
    );
    await sleep(1000);
    await receiver.reset();

    context.log(
      `${transitions} transitions paced at ${perSecond}/s (publish and unpublish alternating) → ${expected} callbacks`,
    );
    const client = new HttpClient(service.port, 64, {});
    const hookLatencies: number[] = [];
    let lastAnswer = 0;
    const endPhase = service.meter.phase();
    const started = Date.now();
    const t0 = performance.now();
    const sent: Promise<void>[] = [];
    let failure: Error | undefined;
    try {
      for (let k = 0; k < transitions; k++) {
        // Open loop, paced against the start: a slow answer does not delay the next hook.
        const wait = t0 + (k * 1000) / perSecond - performance.now();
        if (wait > 0) await sleep(wait);
        const [channel, action] =
          k % 2 === 0
            ? [toPublish[k / 2], 'publish' as const]
            : [toStop[(k - 1) / 2], 'unpublish' as const];
        sent.push(
          hook(client, channel.streamKey, action).then(
            (ms) => {
              hookLatencies.push(ms);
              lastAnswer = performance.now();
            },
            (error: Error) => void (failure ??= error),
          ),
        );
      }
      await Promise.all(sent);
      if (failure) throw failure;
    } finally {
      client.close();
    }
    const hookSeconds = (lastAnswer - t0) / 1000;
    const done = await waitDelivered(
      context,
      service,
      receiver,
      expected,
      60_000 * context.settings.timeoutScale,
    );
    await sleep(RECORD_SETTLE_MS);
    const usage = disturbed(result, endPhase(), 'the timed phase');
    const stats = await checkSpread(receiver, webhooks, transitions, result);
    result.metrics.push(
      {
        name: 'event→receiver p50',
        value: percentile(stats.latencies, 50),
        unit: 'ms',
        goal: le(5, '≤ 5 ms'),
      },
      {
        name: 'event→receiver p99',
        value: percentile(stats.latencies, 99),
        unit: 'ms',
        goal: le(25, '≤ 25 ms'),
      },
      { name: 'hook answer p50', value: percentile(hookLatencies, 50), unit: 'ms' },
      {
        name: 'hook answer p99',
        value: percentile(hookLatencies, 99),
        unit: 'ms',
        goal: le(25, '≤ 25 ms'),
      },
      {
        name: `transitions/s (paced ${perSecond}/s)`,
        value: transitions / hookSeconds,
        unit: '/s',
      },
      {
        name: `deliveries/s (asked ${perSecond * webhooks}/s)`,
        value: expected / ((done.lastDelivered - started) / 1000),
        unit: '/s',
      },
      {
        name: 'service CPU per delivery',
        value: cpuPerDelivery(usage.cpuMs, expected),
        unit: 'µs',
      },
    );
  });
}

export async function fanout(context: Context): Promise<WorkloadResult> {
  const webhooks = scaled(context.settings, 10_000);
  return withService(context, {}, async (service, receiver, result) => {
    await createWebhooks(context, service, receiver, webhooks);
    const [channel] = await createChannels(context, service, 1);
    await sleep(500);
    context.log(`one channel goes live → ${webhooks} callbacks`);
    const client = new HttpClient(service.port, 1, {});
    try {
      const endPhase = service.meter.phase();
      const hookMs = await hook(client, channel.streamKey, 'publish');
      await waitDelivered(
        context,
        service,
        receiver,
        webhooks,
        120_000 * context.settings.timeoutScale,
      );
      await sleep(RECORD_SETTLE_MS);
      const usage = disturbed(result, endPhase(), 'the timed phase');
      const stats = await checkSpread(receiver, webhooks, 1, result);
      // One event: every latency is measured from the same eventTime.
      const first = Math.min(...stats.latencies);
      const last = Math.max(...stats.latencies);
      result.metrics.push(
        { name: 'hook answer', value: hookMs, unit: 'ms' },
        { name: 'event → first callback', value: first, unit: 'ms', goal: le(200, '≤ 200 ms') },
        {
          name: `event → last callback (all ${formatNumber(webhooks)})`,
          value: last / 1000,
          unit: 's',
          goal: le(5, '≤ 5 s'),
        },
        { name: 'deliveries/s', value: webhooks / (last / 1000), unit: '/s' },
        {
          name: 'service CPU per delivery',
          value: cpuPerDelivery(usage.cpuMs, webhooks),
          unit: 'µs',
        },
        { name: 'service peak RSS', value: usage.peakRssMb, unit: 'MiB' },
      );
    } finally {
      client.close();
    }
  });
}

export async function reads(context: Context): Promise<WorkloadResult> {
  const connections = 32;
  const durationMs = Math.max(1000, 5000 * context.settings.scale);
  return withService(context, {}, async (service, receiver, result, database) => {
    const [webhookId] = await createWebhooks(context, service, receiver, 200);
    const [channel] = await createChannels(context, service, 1);
    const routes = [
      '/health/live',
      `/v1/webhook/${webhookId}`,
      '/v1/webhook?page=3&length=20&event=channel_live',
      `/v1/channel/${channel.id}`,
    ];
    const client = new HttpClient(service.port, connections);
    try {
      // Every route warmed before any is measured, so the first one measured does not pay for
      // the JIT of code the others share.
      for (const path of routes)
        await closedLoop(client, connections, () => ({ method: 'GET', path }), { total: 500 });
      const endPhase = service.meter.phase();
      const rates = new Map<string, number>();
      for (const path of routes) {
        context.log(`GET ${path}: ${connections} connections for ${durationMs / 1000} s`);
        const load = await closedLoop(client, connections, () => ({ method: 'GET', path }), {
          durationMs,
        });
        if (Object.keys(load.unexpected).length > 0)
          throw new SanityError(`GET ${path} answered ${JSON.stringify(load.unexpected)}`);
        rates.set(path, load.perSecond);
        result.metrics.push(
          { name: `GET ${path} req/s`, value: load.perSecond, unit: '/s' },
          { name: `GET ${path} p99`, value: percentile(load.latencies, 99), unit: 'ms' },
        );
      }
      disturbed(result, endPhase(), 'the measured reads');
      const health = rates.get('/health/live')!;
      for (const path of routes.slice(1)) {
        result.metrics.push({
          name: `GET ${path} ÷ /health/live`,
          value: rates.get(path)! / health,
          unit: '×',
          goal: ge(0.5, '≥ 0.5'),
        });
      }
      if (context.databases.kind === 'mysql') {
        const bareRates = await bareReads(context, database, client, result, routes.slice(1, 3), {
          connections,
          durationMs,
        });
        for (const [path, bareRate] of bareRates) {
          result.metrics.push(
            { name: `bare server GET ${path} req/s`, value: bareRate, unit: '/s' },
            {
              name: `GET ${path} ÷ bare server`,
              value: rates.get(path)! / bareRate,
              unit: '×',
              goal: ge(0.7, '≥ 0.7'),
            },
          );
        }
      }
      const sequential: number[] = [];
      for (let i = 0; i < 200; i++) {
        const answer = await client.request('GET', `/v1/channel/${channel.id}`);
        if (answer.status !== 200)
          throw new SanityError(`GET /v1/channel answered ${answer.status}`);
        sequential.push(answer.ms);
      }
      result.metrics.push({
        name: `GET /v1/channel/${channel.id} sequential median`,
        value: median(sequential),
        unit: 'ms',
      });
    } finally {
      client.close();
    }
  });
}

/**
 * The same routes on the bare read server (bare-reads.ts), beside the service on its database:
 * the same connections, warm-up and duration. Answers each route's requests per second; an answer
 * that differs from the service's is noted (the comparison would not be of the same work).
 */
async function bareReads(
  context: Context,
  database: Database,
  serviceClient: HttpClient,
  result: WorkloadResult,
  paths: readonly string[],
  load: { connections: number; durationMs: number },
): Promise<Map<string, number>> {
  const server = await BareReads.start(database.url);
  const client = new HttpClient(server.port, load.connections, {});
  const rates = new Map<string, number>();
  try {
    for (const path of paths) {
      const [ours, bare] = await Promise.all([
        serviceClient.request('GET', path),
        client.request('GET', path),
      ]);
      if (!isDeepStrictEqual(JSON.parse(ours.body), JSON.parse(bare.body)))
        result.notes.push(`the bare server's answer to GET ${path} differs from the service's`);
      await closedLoop(client, load.connections, () => ({ method: 'GET', path }), { total: 500 });
    }
    for (const path of paths) {
      context.log(
        `bare server GET ${path}: ${load.connections} connections for ${load.durationMs / 1000} s`,
      );
      const run = await closedLoop(client, load.connections, () => ({ method: 'GET', path }), {
        durationMs: load.durationMs,
      });
      if (Object.keys(run.unexpected).length > 0)
        throw new SanityError(`bare server GET ${path} answered ${JSON.stringify(run.unexpected)}`);
      rates.set(path, run.perSecond);
    }
  } finally {
    client.close();
    await server.stop();
  }
  return rates;
}

/** Thirty quick retries: nothing goes dead while the receiver refuses. */
const QUICK_RETRIES = {
  DELIVERY_RETRY_SCHEDULE: Array.from({ length: 30 }, () => '1s').join(','),
  DELIVERY_RETRY_JITTER: '0',
};

export async function backlog(context: Context): Promise<WorkloadResult> {
  const webhooks = 20;
  const channelCount = scaled(context.settings, 5000);
  const expected = webhooks * channelCount;
  const refusedMs = Math.max(2000, 20_000 * context.settings.scale);
  return withService(context, QUICK_RETRIES, async (service, receiver, result) => {
    await createWebhooks(context, service, receiver, webhooks);
    const channels = await createChannels(context, service, channelCount);
    await receiver.answer(503);
    context.log(
      `${channelCount} channels go live → ${expected} deliveries; the receiver answers 503`,
    );
    const run = await hooks(context, service, channels, 'publish', 64);
    context.log(
      `hooks done at ${formatNumber(run.perSecond)}/s; refusing for ${refusedMs / 1000} s`,
    );

    const endRefused = service.meter.phase();
    const before = await receiver.counts();
    const refusedStart = Date.now();
    while (Date.now() - refusedStart < refusedMs) {
      await sleep(Math.min(1000, refusedMs - (Date.now() - refusedStart)));
      service.assertRunning();
      const counts = await receiver.counts();
      context.log(`… refused ${formatNumber(counts.refused)} attempts so far`);
    }
    const after = await receiver.counts();
    const refusedUsage = disturbed(result, endRefused(), 'the refused phase');
    const refusedSeconds = (Date.now() - refusedStart) / 1000;
    const attempts = after.refused - before.refused;

    const endDrain = service.meter.phase();
    const switched = Date.now();
    await receiver.answer(200);
    context.log(`the receiver answers 200: draining ${expected} deliveries`);
    const done = await waitDelivered(
      context,
      service,
      receiver,
      expected,
      context.settings.drainTimeoutMs,
      true,
    );
    await sleep(RECORD_SETTLE_MS);
    const drainUsage = disturbed(result, endDrain(), 'the drain');
    const drainSeconds = done.timedOut
      ? context.settings.drainTimeoutMs / 1000
      : (done.lastDelivered - switched) / 1000;
    const note = done.timedOut
      ? `timed out after ${drainSeconds} s: ${formatNumber(done.delivered)}/${formatNumber(expected)} delivered`
      : undefined;
    if (note) result.notes.push(`drain ${note}`);
    if (!done.timedOut) await checkSpread(receiver, webhooks, channelCount, result);
    result.metrics.push(
      { name: 'hooks/s (receiver refusing)', value: run.perSecond, unit: '/s' },
      { name: 'attempts/s while refused', value: attempts / refusedSeconds, unit: '/s' },
      {
        name: 'service CPU per refused attempt',
        value: attempts > 0 ? cpuPerDelivery(refusedUsage.cpuMs, attempts) : NaN,
        unit: 'µs',
      },
      { name: `drain of ${formatNumber(expected)}`, value: drainSeconds, unit: 's', note },
      {
        name: 'drain rate',
        value: done.delivered / drainSeconds,
        unit: '/s',
        goal: ge(6000, '≥ 6,000/s'),
        note,
      },
      {
        name: 'service CPU per drained delivery',
        value: done.delivered > 0 ? cpuPerDelivery(drainUsage.cpuMs, done.delivered) : NaN,
        unit: 'µs',
      },
      {
        name: 'service peak RSS (whole workload)',
        value: service.meter.peakRssMb,
        unit: 'MiB',
        goal: le(250, '≤ 250 MiB'),
      },
    );
  });
}

/**
 * New events while a backlog of retries drains: 20 webhooks, each with 5,000 deliveries that
 * failed (written straight into the database, one line per channel), recovered at once through
 * the API: 100,000 retries due. While they drain, 50 other channels a second go live on the same
 * webhooks. Their first attempts take precedence over the retries: the figure is their
 * event → receiver time.
 */
export async function fresh(context: Context): Promise<WorkloadResult> {
  const webhooks = 20;
  const channelCount = scaled(context.settings, 5000);
  const backlogCount = webhooks * channelCount;
  const perSecond = 50;
  // Enough for 60 s of transitions: the drain ends long before.
  const spare = scaled(context.settings, perSecond * 60, perSecond * 2);
  return withService(context, {}, async (service, receiver, result, database) => {
    const webhookIds = await createWebhooks(context, service, receiver, webhooks);
    const newChannels = await createChannels(context, service, spare);
    const failedAt = new Date(Date.now() - 60_000);
    await seedFailed(database.url, {
      webhookIds,
      channels: channelCount,
      eventTime: failedAt.getTime(),
      at: failedAt,
    });
    context.log(`${backlogCount} failed deliveries written; recovering them`);
    const since = new Date(failedAt.getTime() - 1000).toISOString();
    const recoverStart = Date.now();
    const recovered = await pool(webhookIds, webhooks, async (id) => {
      const answer = await service.http.request('POST', `/v1/webhook/${id}/recover`, {
        body: { since },
      });
      return (answer.body as { recovered?: number }).recovered ?? 0;
    });
    const total = recovered.reduce((sum, count) => sum + count, 0);
    if (total !== backlogCount)
      throw new SanityError(`recovered ${total} deliveries, not ${backlogCount}`);

    const switched = Date.now();
    const recoverSeconds = (switched - recoverStart) / 1000;
    context.log(
      `recovered in ${recoverSeconds.toFixed(1)} s; the retries drain while ${perSecond} channels/s go live`,
    );
    const client = new HttpClient(service.port, 64, {});
    const sent: Promise<unknown>[] = [];
    let failure: Error | undefined;
    let transitions = 0;
    let drained = 0;
    let checkedAt = 0;
    const hookLatencies: number[] = [];
    const t0 = performance.now();
    try {
      for (; transitions < newChannels.length; transitions++) {
        const wait = t0 + (transitions * 1000) / perSecond - performance.now();
        if (wait > 0) await sleep(wait);
        if (failure) break;
        if (performance.now() - checkedAt >= 100) {
          checkedAt = performance.now();
          const counts = await receiver.counts(switched);
          if (counts.older >= backlogCount) {
            drained = counts.lastDelivered;
            break;
          }
        }
        sent.push(
          hook(client, newChannels[transitions].streamKey, 'publish').then(
            (ms) => hookLatencies.push(ms),
            (error: Error) => (failure ??= error),
          ),
        );
      }
      await Promise.all(sent);
      if (failure) throw failure;
    } finally {
      client.close();
    }
    if (drained === 0)
      result.notes.push(
        `the backlog had not drained after ${transitions} transitions: the new events' figures leave out the rest of the drain`,
      );
    const expected = backlogCount + transitions * webhooks;
    await waitDelivered(
      context,
      service,
      receiver,
      expected,
      context.settings.drainTimeoutMs * context.settings.timeoutScale,
    );
    const stats = await receiver.stats(switched);
    if (stats.duplicates > 0)
      result.notes.push(
        `${stats.duplicates} duplicate callback(s) (same webhook-id answered 200 again)`,
      );
    result.metrics.push(
      { name: 'new events (× webhooks)', value: stats.latencies.length, unit: '' },
      { name: `recover of ${formatNumber(backlogCount)}`, value: recoverSeconds, unit: 's' },
      { name: 'new event→receiver p50', value: percentile(stats.latencies, 50), unit: 'ms' },
      {
        name: 'new event→receiver p99',
        value: percentile(stats.latencies, 99),
        unit: 'ms',
        goal: le(200, '≤ 200 ms'),
      },
      {
        name: 'hook answer p99 (during the drain)',
        value: percentile(hookLatencies, 99),
        unit: 'ms',
      },
      {
        name: `drain of ${formatNumber(backlogCount)} retries (from the first recover)`,
        value: drained > 0 ? (drained - recoverStart) / 1000 : NaN,
        unit: 's',
      },
      {
        name: 'backlog drain rate',
        value: drained > 0 ? backlogCount / ((drained - recoverStart) / 1000) : NaN,
        unit: '/s',
      },
    );
  });
}

/**
 * Two healthy webhooks, the same burst of channels going live twice: alone, then beside a webhook
 * whose receiver never answers (each attempt hangs until DELIVERY_TIMEOUT). The dead one may hold
 * its own slots only; what that costs the healthy ones is the difference of their p99s.
 * (delivery-fairness.e2e-spec.ts checks the slots, as facts; the timing is measured here.)
 */
export async function fairness(context: Context): Promise<WorkloadResult> {
  const webhooks = 2;
  const channelCount = scaled(context.settings, 150);
  const expected = webhooks * channelCount;
  const env = {
    DELIVERY_TIMEOUT: '5s',
    DELIVERY_CONCURRENCY: '32',
    DELIVERY_CONCURRENCY_PER_WEBHOOK: '8',
  };
  return withService(context, env, async (service, receiver, result) => {
    await createWebhooks(context, service, receiver, webhooks);
    const timeoutMs = 60_000 * context.settings.timeoutScale;
    const burst = async (label: string) => {
      const channels = await createChannels(context, service, channelCount);
      await receiver.reset();
      context.log(`${label}: ${channelCount} channels go live, 16 hooks in flight`);
      await hooks(context, service, channels, 'publish', 16);
      await waitDelivered(context, service, receiver, expected, timeoutMs);
      return checkSpread(receiver, webhooks, channelCount, result);
    };
    const alone = await burst('alone');
    await createWebhook(service.http, { uri: receiver.hangingUri });
    const beside = await burst('beside a receiver that never answers');
    const p99Alone = percentile(alone.latencies, 99);
    const p99Beside = percentile(beside.latencies, 99);
    result.metrics.push(
      { name: 'event→receiver p99 alone', value: p99Alone, unit: 'ms' },
      { name: 'event→receiver p99 beside it', value: p99Beside, unit: 'ms' },
      {
        name: 'p99 added by the dead receiver',
        value: p99Beside - p99Alone,
        unit: 'ms',
        goal: le(1000, '≤ 1,000 ms'),
      },
      { name: 'requests to it during that burst', value: beside.hung, unit: 'req' },
    );
  });
}

/**
 * An OTLP/HTTP endpoint that takes the service's trace exports and throws them away, counting the
 * spans (as `"spanId"` keys in the JSON), so that a traced run pays for its exports as it would to
 * a real collector on the same machine.
 */
async function startSpanSink(): Promise<{
  endpoint: string;
  spans: () => number;
  close: () => Promise<void>;
}> {
  let spans = 0;
  const server = createServer((request, response) => {
    let tail = '';
    request.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      spans += text.split('"spanId"').length - 1;
      tail = text.slice(-8);
    });
    request.on('end', () =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => spans,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * What tracing costs: the same burst (20 webhooks, channels going live) without and with
 * OTEL_EXPORTER_OTLP_ENDPOINT, the traced run exporting every span (a hook, its transition, the
 * fan-out, each attempt) to a sink on loopback. Without it no SDK is loaded: the untraced run is
 * the burst's own figure.
 */
export async function tracing(context: Context): Promise<WorkloadResult> {
  const webhooks = 20;
  const channelCount = scaled(context.settings, 500);
  const expected = webhooks * channelCount;
  const sink = await startSpanSink();
  const run = async (label: string, env: Record<string, string>) => {
    context.log(`tracing ${label}`);
    let figures: { rate: number; cpuUs: number; hooks: number; p99: number } | undefined;
    const result = await withService(context, env, async (service, receiver, result) => {
      const { run, done, usage, stats } = await goLive(context, service, receiver, result, {
        webhooks,
        channelCount,
        inFlight: 16,
        timeoutMs: 120_000,
      });
      figures = {
        rate: expected / ((done.lastDelivered - run.started) / 1000),
        cpuUs: cpuPerDelivery(usage.cpuMs, expected),
        hooks: run.perSecond,
        p99: percentile(stats.latencies, 99),
      };
    });
    return { result, figures };
  };
  try {
    const off = await run('off', {});
    const on = await run('on', {
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
      // the SDK's default batch (512 spans every 5 s) would drop spans at this rate
      OTEL_BSP_MAX_QUEUE_SIZE: '65536',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2048',
      OTEL_BSP_SCHEDULE_DELAY: '500',
    });
    await sleep(1_000); // the last batch
    const result: WorkloadResult = {
      metrics: [],
      notes: [...off.result.notes, ...on.result.notes],
      service: [...off.result.service, ...on.result.service],
      error: off.result.error ?? on.result.error,
    };
    const a = off.figures;
    const b = on.figures;
    // a hook, a transition and a fan-out per channel, an attempt per delivery
    const spansExpected = expected + 3 * channelCount;
    if (b && sink.spans() < spansExpected)
      result.notes.push(`the sink got ${sink.spans()} spans of ${spansExpected}`);
    result.metrics.push(
      { name: 'deliveries/s, tracing off', value: a?.rate ?? NaN, unit: '/s' },
      { name: 'deliveries/s, tracing on', value: b?.rate ?? NaN, unit: '/s' },
      { name: 'service CPU per delivery, off', value: a?.cpuUs ?? NaN, unit: 'µs' },
      { name: 'service CPU per delivery, on', value: b?.cpuUs ?? NaN, unit: 'µs' },
      {
        name: 'tracing CPU per delivery',
        value: a && b ? b.cpuUs - a.cpuUs : NaN,
        unit: 'µs',
      },
      { name: 'hooks/s, off', value: a?.hooks ?? NaN, unit: '/s' },
      { name: 'hooks/s, on', value: b?.hooks ?? NaN, unit: '/s' },
      { name: 'event→receiver p99, off', value: a?.p99 ?? NaN, unit: 'ms' },
      { name: 'event→receiver p99, on', value: b?.p99 ?? NaN, unit: 'ms' },
      { name: 'spans exported', value: sink.spans(), unit: '' },
    );
    return result;
  } finally {
    await sink.close();
  }
}

export const WORKLOADS = {
  burst,
  reconnect,
  steady,
  fanout,
  reads,
  backlog,
  fresh,
  fairness,
  tracing,
} as const;
export type WorkloadName = keyof typeof WORKLOADS;
