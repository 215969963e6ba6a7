import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { receiverPool } from './helpers/receiver.js';
import { seedDeliveries } from './helpers/seed-deliveries.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

/** Failed deliveries recovered at once: a backlog of retries, all due. */
const BACKLOG = 300;
/** Each answer takes this long: the backlog takes about BACKLOG × DELAY / 8 slots to drain. */
const DELAY_MS = 20;

/**
 * Fresh events before old retries: a new event's first attempt does not wait behind a backlog of
 * retries due, on the same webhook; the retries still all go out, once each.
 */
describe.each(databaseKinds())('fresh events first on %s', (kind) => {
  let t: TestApp;
  const receivers = receiverPool();

  beforeAll(async () => {
    t = await createTestApp(kind, {
      DELIVERY_CONCURRENCY: '8',
      DELIVERY_CONCURRENCY_PER_WEBHOOK: '8',
    });
  });
  afterAll(async () => {
    await t?.close();
    await receivers.closeAll();
  });

  it("sends a new event's first attempt ahead of a backlog of retries due on the same webhook", async () => {
    const target = await receivers.start(() => ({ delayMs: DELAY_MS }));
    const hook = await createWebhook(t, { uri: target.url });
    const since = new Date(Date.now() - 60_000).toISOString();
    await seedDeliveries(t, { webhookId: hook.id, count: BACKLOG, channels: BACKLOG });
    const channel = await createChannel(t);

    const recovered = await t.request('POST', `/v1/webhook/${hook.id}/recover`, {
      body: { since },
    });
    expect(recovered).toMatchObject({ status: 202, body: { recovered: BACKLOG } });
    // Raised after the retries were due, so by due time alone it would go last.
    await ingest(t, channel.streamKey, 'publish');

    await eventually(async () => target.received.length >= BACKLOG + 1, 30_000);
    const position = target.received.findIndex((request) => request.json.id === channel.id);
    expect(target.received[position].json).toMatchObject({ event: 'channel_live', sequence: 1 });
    // Behind the retries already leased when it came (the slots and the batch ready for them),
    // never behind the whole backlog.
    expect(position).toBeLessThan(BACKLOG / 3);
    const messages = new Set(target.received.map((request) => request.headers['webhook-id']));
    expect(messages.size).toBe(BACKLOG + 1);
    expect(target.received).toHaveLength(BACKLOG + 1);
  });
});
