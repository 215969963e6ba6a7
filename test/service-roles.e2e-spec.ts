import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { createTestDatabase, databaseKinds } from './helpers/databases.js';
import { httpApi } from './helpers/http-api.js';
import { startReceiver } from './helpers/receiver.js';
import { verifySignature } from './helpers/signature.js';
import {
  exitWithin,
  freePort,
  logLinesAtOrAbove,
  type SpawnedApp,
  startApp,
} from './helpers/spawn-app.js';
import { createWebhook } from './helpers/webhooks.js';

const KEY = 'roles-test-key';
const TOKEN = 'roles-test-token';

/** Each thread of a process, by its id, with its niceness (Linux: field 19 of its stat line). */
function threadNiceness(pid: number): Map<number, number> {
  const niceness = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // After the command name in parentheses: state is field 3, niceness field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    niceness.set(Number(tid), Number(fields[16]));
  }
  return niceness;
}

/** The service as its own process, in one role; JSON logs (production) so errors can be counted. */
function start(
  databaseUrl: string,
  port: number,
  role: 'api' | 'worker' | 'both',
  env: Record<string, string> = {},
): Promise<SpawnedApp> {
  return startApp(databaseUrl, port, {
    SERVICE_ROLE: role,
    NODE_ENV: 'production',
    API_KEYS: KEY,
    INGEST_TOKEN: TOKEN,
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    DELIVERY_RETRY_JITTER: '0',
    ...env,
  });
}

// A SQLite file serves two processes as well as MySQL does; only the worker fans out and sends.
describe.each(databaseKinds())('SERVICE_ROLE=api and SERVICE_ROLE=worker on one %s', (kind) => {
  const cleanup = stepsAfterAll();

  it('the api takes hooks and answers; callbacks wait for a worker, which sends them signed and in order', async () => {
    const database = await createTestDatabase(kind);
    cleanup.push(() => database.drop());
    const receiver = await startReceiver();
    cleanup.push(() => receiver.close());

    const apiPort = await freePort();
    const api = await start(database.url, apiPort, 'api');
    cleanup.push(async () => api.kill('SIGKILL'));
    const service = httpApi(`http://127.0.0.1:${apiPort}`, KEY);

    // Ready without any worker: readiness of an API process does not hang on delivery.
    const ready = await service.request('GET', '/health/ready', { apiKey: false });
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.details as object).sort()).toEqual(['database', 'migrations']);

    const webhook = await createWebhook(service, { uri: receiver.url });
    const channel = await createChannel(service, { name: 'roles' });
    expect((await ingest(service, channel.streamKey, 'publish', TOKEN)).status).toBe(200);
    expect((await ingest(service, channel.streamKey, 'unpublish', TOKEN)).status).toBe(200);
    const ping = await service.request('POST', `/v1/webhook/${webhook.id}/test`);
    expect(ping.status).toBe(202);

    // The events are recorded; nothing fans them out or sends the ping while no worker runs.
    const timeline = await service.request('GET', `/v1/channel/${channel.id}/events`);
    expect((timeline.body.data as { event: string }[]).map((event) => event.event)).toEqual([
      'channel_stop',
      'channel_live',
    ]);
    const waiting = await service.request('GET', `/v1/webhook/${webhook.id}/deliveries`);
    expect(waiting.body.data).toEqual([
      expect.objectContaining({ id: ping.body.id, event: 'ping', status: 'pending', attempts: 0 }),
    ]);
    expect(receiver.received).toEqual([]);

    const workerPort = await freePort();
    const worker = await start(database.url, workerPort, 'worker');
    cleanup.push(async () => worker.kill('SIGKILL'));
    const probes = httpApi(`http://127.0.0.1:${workerPort}`, KEY);

    await eventually(async () => receiver.received.length >= 3, 15_000);
    for (const request of receiver.received) verifySignature(webhook.secret, request);
    const channelEvents = receiver.received
      .filter((request) => request.json.event !== 'ping')
      .map((request) => [request.json.event, request.json.id]);
    expect(channelEvents).toEqual([
      ['channel_live', channel.id],
      ['channel_stop', channel.id],
    ]);
    expect(receiver.received.filter((request) => request.json.event === 'ping')).toHaveLength(1);

    // A hook taken by the api while the worker runs is sent too: the worker finds it by itself.
    expect((await ingest(service, channel.streamKey, 'publish', TOKEN)).status).toBe(200);
    await eventually(async () => receiver.received.length >= 4, 15_000);
    expect(receiver.received[3].json).toMatchObject({ event: 'channel_live', id: channel.id });
    verifySignature(webhook.secret, receiver.received[3]);
    const delivered = await eventually(async () => {
      const { data } = (await service.request('GET', `/v1/webhook/${webhook.id}/deliveries`))
        .body as { data: { status: string }[] };
      return data.length === 4 && data.every((row) => row.status === 'succeeded') && data;
    }, 15_000);
    expect(delivered).toHaveLength(4);

    // The worker serves its probes and metrics, and no API.
    const workerReady = await probes.request('GET', '/health/ready', { apiKey: false });
    expect(workerReady.status).toBe(200);
    expect(Object.keys(workerReady.body.details as object).sort()).toEqual([
      'backlog',
      'database',
      'migrations',
      'worker',
    ]);
    expect((await probes.request('GET', '/health/live', { apiKey: false })).status).toBe(200);
    const metrics = await probes.request('GET', '/metrics', { apiKey: false });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('deliveries_total{event="channel_live",outcome="succeeded"} 2');
    for (const path of ['/v1/webhook', `/v1/webhook/${webhook.id}/deliveries`, '/v1/channel']) {
      expect((await probes.request('GET', path)).status, path).toBe(404);
    }
    expect((await ingest(probes, channel.streamKey, 'unpublish', TOKEN)).status).toBe(404);
    for (const path of ['/docs', '/docs-json', '/dashboard']) {
      expect((await probes.request('GET', path, { apiKey: false })).status, path).toBe(404);
    }
    // The api has no delivery metrics of its own: those are the worker's.
    const apiMetrics = await service.request('GET', '/metrics', { apiKey: false });
    expect(apiMetrics.text).toContain('http_requests_total');
    expect(apiMetrics.text).not.toContain('deliveries_total');

    // SIGTERM drains both; neither logged an error.
    worker.kill('SIGTERM');
    api.kill('SIGTERM');
    expect(await exitWithin(worker)).toBe(0);
    expect(await exitWithin(api)).toBe(0);
    expect(logLinesAtOrAbove(api.output() + worker.output(), 50)).toEqual([]);
  }, 90_000);

  it('an api process alone lets a publish take over a session silent past INGEST_STALE_AFTER', async () => {
    // No worker runs, so no expiry scan: the takeover rests on the api's own stale grace.
    const database = await createTestDatabase(kind);
    cleanup.push(() => database.drop());
    const apiPort = await freePort();
    const api = await start(database.url, apiPort, 'api', { INGEST_STALE_AFTER: '1s' });
    cleanup.push(async () => api.kill('SIGKILL'));
    const service = httpApi(`http://127.0.0.1:${apiPort}`, KEY);

    const channel = await createChannel(service, { name: 'takeover' });
    expect((await ingest(service, channel.streamKey, 'publish', TOKEN)).status).toBe(200);
    // Heard from: a second publisher is refused.
    expect((await ingest(service, channel.streamKey, 'publish', TOKEN)).status).toBe(403);
    // Silent past INGEST_STALE_AFTER, with the api up (and its database reachable) for as long.
    const takenOver = await eventually(async () => {
      const answer = await ingest(service, channel.streamKey, 'publish', TOKEN);
      return answer.status === 200 && answer;
    }, 10_000);
    expect(takenOver.status).toBe(200);
    const timeline = await service.request('GET', `/v1/channel/${channel.id}/events`);
    expect((timeline.body.data as { event: string }[]).map((event) => event.event)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_live',
    ]);
    api.kill('SIGTERM');
    expect(await exitWithin(api)).toBe(0);
  }, 60_000);
});

// A SQLite file gets the thread too (a connection each); an in-memory database keeps one thread.
describe.each(databaseKinds())('SERVICE_ROLE=both on %s: the worker in a thread', (kind) => {
  const cleanup = stepsAfterAll();

  it('sends callbacks from the thread, reports its health and metrics with the API, logs to one stdout, and drains on SIGTERM', async () => {
    const database = await createTestDatabase(kind);
    cleanup.push(() => database.drop());
    const receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const port = await freePort();
    const app = await start(database.url, port, 'both', { LOG_LEVEL: 'info' });
    cleanup.push(async () => app.kill('SIGKILL'));
    const service = httpApi(`http://127.0.0.1:${port}`, KEY);

    const webhook = await createWebhook(service, { uri: receiver.url });
    const channel = await createChannel(service, { name: 'threads' });
    await ingest(service, channel.streamKey, 'publish', TOKEN);
    await ingest(service, channel.streamKey, 'unpublish', TOKEN);
    await service.request('POST', `/v1/webhook/${webhook.id}/test`);
    await eventually(async () => receiver.received.length >= 3, 15_000);
    for (const request of receiver.received) verifySignature(webhook.secret, request);
    expect(
      receiver.received
        .filter((request) => request.json.event !== 'ping')
        .map((request) => request.json.event),
    ).toEqual(['channel_live', 'channel_stop']);

    // The delivery thread runs 10 nice steps below the process (the API thread).
    const niceness = threadNiceness(app.child.pid!);
    expect(niceness.get(app.child.pid!)).toBe(0);
    expect([...niceness.values()].filter((value) => value === 10)).toHaveLength(1);

    const ready = await service.request('GET', '/health/ready', { apiKey: false });
    expect(ready.status).toBe(200);
    expect(ready.body.details.worker).toMatchObject({ status: 'up', running: true });
    expect(ready.body.details).toHaveProperty('backlog');

    // The thread's delivery series beside the API's, each series once.
    const metrics = await eventually(async () => {
      const text = (await service.request('GET', '/metrics', { apiKey: false })).text;
      return text.includes('deliveries_total{event="channel_live",outcome="succeeded"} 1') && text;
    });
    expect(metrics).toContain('http_requests_total');
    for (const name of ['process_cpu_seconds_total', 'deliveries_pending', 'channels']) {
      expect(metrics.match(new RegExp(`^# TYPE ${name} `, 'gm')), name).toHaveLength(1);
    }

    // The thread's lines (each attempt's) come out on the same stdout, as the same JSON.
    const attempts = app
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; service?: string; deliveryId?: string })
      .filter((line) => line.msg === 'delivery attempt');
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.every((line) => line.service === 'channel-webhooks')).toBe(true);

    app.kill('SIGTERM');
    expect(await exitWithin(app)).toBe(0);
    expect(logLinesAtOrAbove(app.output(), 50)).toEqual([]);
  }, 60_000);
});

describe('SERVICE_ROLE=both on SQLite in memory: one thread, the only one to see the database', () => {
  const cleanup = stepsAfterAll();

  it('delivers and drains with no delivery thread', async () => {
    const receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const port = await freePort();
    const app = await start('sqlite::memory:', port, 'both');
    cleanup.push(async () => app.kill('SIGKILL'));
    const service = httpApi(`http://127.0.0.1:${port}`, KEY);
    const webhook = await createWebhook(service, { uri: receiver.url });
    await service.request('POST', `/v1/webhook/${webhook.id}/test`);
    await eventually(async () => receiver.received.length >= 1, 15_000);
    // No thread at a lowered priority: the worker is in the API's thread.
    expect([...threadNiceness(app.child.pid!).values()].filter((value) => value === 10)).toEqual(
      [],
    );
    app.kill('SIGTERM');
    expect(await exitWithin(app)).toBe(0);
  }, 60_000);
});
