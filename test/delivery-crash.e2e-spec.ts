import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './helpers/databases.js';
import { httpApi } from './helpers/http-api.js';
import { startReceiver } from './helpers/receiver.js';
import { exitWithin, freePort, type SpawnedApp, startApp } from './helpers/spawn-app.js';
import { createWebhook } from './helpers/webhooks.js';

const KEY = 'crash-test-key';

/** The service as its own process, so it can be killed. */
function start(database: TestDatabase, port: number): Promise<SpawnedApp> {
  return startApp(database.url, port, {
    API_KEYS: KEY,
    DELIVERY_TIMEOUT: '2s',
    DELIVERY_RETRY_SCHEDULE: '300ms,300ms',
    DELIVERY_RETRY_JITTER: '0',
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
  });
}

describe.each(databaseKinds())('a killed or stopped instance on %s', (kind) => {
  const cleanup = stepsAfterAll();

  it('after SIGKILL with work claimed, a restarted instance delivers everything, in order, with the same webhook-id', async () => {
    const database = await createTestDatabase(kind);
    cleanup.push(() => database.drop());
    let answering = false;
    const receiver = await startReceiver(() => (answering ? {} : { hang: true }));
    cleanup.push(() => receiver.close());

    const port = await freePort();
    const first = await start(database, port);
    cleanup.push(async () => first.kill('SIGKILL'));
    const service = httpApi(`http://127.0.0.1:${port}`, KEY);
    const hook = await createWebhook(service, { uri: receiver.url });
    const channel = await createChannel(service, { name: 'crash' });
    await ingest(service, channel.streamKey, 'publish');
    await ingest(service, channel.streamKey, 'unpublish');
    await service.request('POST', `/v1/channel/${channel.id}/end`);
    await eventually(async () => receiver.received.length >= 1, 10_000);
    const claimedId = receiver.received[0].headers['webhook-id'];

    first.kill('SIGKILL');
    await first.exited;
    answering = true;

    const second = await start(database, port);
    cleanup.push(async () => {
      second.kill('SIGTERM');
      await second.exited;
    });
    const log = await eventually(async () => {
      const data = (await service.request('GET', `/v1/webhook/${hook.id}/deliveries`)).body
        .data as any[];
      return data.length === 3 && data.every((delivery) => delivery.status === 'succeeded')
        ? data
        : undefined;
    }, 30_000);
    expect(log.map((delivery) => delivery.event)).toEqual([
      'channel_ended',
      'channel_stop',
      'channel_live',
    ]);
    const answered = receiver.received.slice(1);
    expect(answered[0].headers['webhook-id']).toBe(claimedId);
    expect(answered.map((request) => request.json.event)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_ended',
    ]);
  });

  it('on SIGTERM stops claiming, lets the attempt in flight finish and records it, then exits', async () => {
    const database = await createTestDatabase(kind);
    cleanup.push(() => database.drop());
    let answeredAt = 0;
    const receiver = await startReceiver(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      answeredAt = Date.now();
      return { status: 200, body: 'finally' };
    });
    cleanup.push(() => receiver.close());

    const port = await freePort();
    const first = await start(database, port);
    cleanup.push(async () => first.kill('SIGKILL'));
    const service = httpApi(`http://127.0.0.1:${port}`, KEY);
    const hook = await createWebhook(service, { uri: receiver.url });
    await service.request('POST', `/v1/webhook/${hook.id}/test`);
    await eventually(async () => receiver.received.length >= 1, 10_000);

    first.kill('SIGTERM');
    // Past SHUTDOWN_TIMEOUT (30 s), so that a slow disk on a loaded machine is told apart from a
    // drain that gave up (which would say so in a warning before exiting).
    await exitWithin(first, 60_000);
    const exitedAt = Date.now();
    expect(answeredAt).toBeGreaterThan(0);
    expect(exitedAt).toBeGreaterThanOrEqual(answeredAt);

    const second = await start(database, port);
    cleanup.push(async () => {
      second.kill('SIGTERM');
      await second.exited;
    });
    const [delivery] = (await service.request('GET', `/v1/webhook/${hook.id}/deliveries`)).body
      .data;
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 200 });
    expect(first.output()).not.toContain('Shutting down after');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(receiver.received).toHaveLength(1);
  }, 90_000);
});
