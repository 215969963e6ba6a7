import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { type Receiver, startReceiver } from './helpers/receiver.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

const CHANNELS = 150;

/** Event → receipt latencies (ms) of the callbacks a receiver got for these channels. */
function latencies(receiver: Receiver, channelIds: Set<string>): number[] {
  return receiver.received
    .filter((request) => channelIds.has(request.json.id))
    .map((request) => request.at - Number(request.json.eventTime))
    .sort((a, b) => a - b);
}

const p99 = (sorted: number[]) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];

describe.each(databaseKinds())('a receiver that never answers, on %s', (kind) => {
  const cleanup = stepsAfterAll();

  it('does not hold the slots the healthy webhooks need: their p99 stays within 1 s of a run without it', async () => {
    const t: TestApp = await createTestApp(kind, {
      DELIVERY_TIMEOUT: '5s',
      DELIVERY_CONCURRENCY: '32',
      DELIVERY_CONCURRENCY_PER_WEBHOOK: '8',
    });
    cleanup.push(() => t.close());
    const healthy = [await startReceiver(), await startReceiver()];
    const dead = await startReceiver(() => ({ hang: true }));
    for (const receiver of [...healthy, dead]) cleanup.push(() => receiver.close());
    const subscribe = async (receiver: Receiver) =>
      expect(
        (await t.request('POST', '/v1/webhook', { body: { uri: receiver.url, event: 'all' } }))
          .status,
      ).toBe(201);
    for (const receiver of healthy) await subscribe(receiver);

    /** A burst: every channel goes live at once; answers the healthy receivers' latencies. */
    const burst = async () => {
      const channels = [];
      for (let i = 0; i < CHANNELS; i++) channels.push(await createChannel(t));
      const ids = new Set(channels.map((channel) => channel.id));
      await Promise.all(channels.map((channel) => ingest(t, channel.streamKey, 'publish')));
      await eventually(
        async () => healthy.every((receiver) => latencies(receiver, ids).length >= CHANNELS),
        30_000,
        10,
      );
      return healthy.flatMap((receiver) => latencies(receiver, ids)).sort((a, b) => a - b);
    };

    const without = await burst();
    await subscribe(dead);
    const withDead = await burst();
    // The dead receiver holds its own slots only: its attempts hang until the 5 s timeout.
    expect(dead.received.length).toBeGreaterThan(0);
    expect(dead.received.length).toBeLessThanOrEqual(8);
    console.log(
      `fairness (${kind}): healthy p99 ${p99(without)} ms alone, ${p99(withDead)} ms beside a receiver that never answers`,
    );
    expect(p99(withDead)).toBeLessThanOrEqual(p99(without) + 1_000);
  }, 120_000);
});
