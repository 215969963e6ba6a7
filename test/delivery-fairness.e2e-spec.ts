import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { type Receiver, startReceiver } from './helpers/receiver.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

const CHANNELS = 100;
const SLOTS = 16;
const PER_WEBHOOK = 4;

/**
 * Facts, not milliseconds: the attempts to a receiver that never answers outlast the test (a
 * long DELIVERY_TIMEOUT), so every healthy callback that arrives got a slot the dead webhook did
 * not hold. How fast the healthy ones go beside it is the bench's business, not a test's: the
 * fairness workload (`npm run bench`, bench/workloads.ts) reports it as "p99 added by the dead
 * receiver", against its goal of at most 1,000 ms.
 */
describe.each(databaseKinds())('a receiver that never answers, on %s', (kind) => {
  const cleanup = stepsAfterAll();

  it("holds only its own slots: the healthy webhooks' callbacks all arrive while its attempts hang", async () => {
    const t: TestApp = await createTestApp(kind, {
      DELIVERY_TIMEOUT: '10m',
      DELIVERY_CONCURRENCY: String(SLOTS),
      DELIVERY_CONCURRENCY_PER_WEBHOOK: String(PER_WEBHOOK),
    });
    cleanup.push(() => t.close());
    const dead = await startReceiver(() => ({ hang: true }));
    const healthy = [await startReceiver(), await startReceiver()];
    // Receivers close first (last added, first run): the hanging attempts end, the app can stop.
    for (const receiver of [...healthy, dead]) cleanup.push(() => receiver.close());
    const subscribe = async (receiver: Receiver) =>
      (await createWebhook(t, { uri: receiver.url })).id;
    // The dead webhook first: each event's deliveries are written, leased and claimed in webhook
    // order, so it is offered every slot before the healthy ones are.
    const deadId = await subscribe(dead);
    const healthyIds = [await subscribe(healthy[0]), await subscribe(healthy[1])];

    const channels = [];
    for (let i = 0; i < CHANNELS; i++) channels.push(await createChannel(t));
    await Promise.all(channels.map((channel) => ingest(t, channel.streamKey, 'publish')));

    // Every healthy callback arrives, though the dead receiver's attempts never end ...
    await eventually(
      async () => healthy.every((receiver) => receiver.received.length >= CHANNELS),
      60_000,
    );
    for (const receiver of healthy) {
      expect(new Set(receiver.received.map((request) => request.json.id)).size).toBe(CHANNELS);
    }
    // ... and it was tried, with no more attempts at once than its own slots.
    expect(dead.received.length).toBeGreaterThan(0);
    expect(dead.received.length).toBeLessThanOrEqual(PER_WEBHOOK);
    const log = async (webhookId: string) =>
      (await t.request('GET', `/v1/webhook/${webhookId}/deliveries?length=${CHANNELS}`)).body
        .data as { status: string; attempts: number }[];
    const deadLog = await log(deadId);
    expect(deadLog).toHaveLength(CHANNELS);
    // None of its attempts finished: no healthy delivery waited for one of them to end.
    expect(
      deadLog.every((delivery) => delivery.status === 'pending' && delivery.attempts === 0),
    ).toBe(true);
    for (const webhookId of healthyIds) {
      await eventually(async () =>
        (await log(webhookId)).every((delivery) => delivery.status === 'succeeded'),
      );
    }
  }, 120_000);
});
