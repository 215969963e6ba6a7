import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { type Received, receiverPool } from './helpers/receiver.js';
import { verifySignature } from './helpers/signature.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

const OPERATIONAL = [
  'webhook_failing',
  'webhook_recovered',
  'webhook_disabled',
  'delivery_exhausted',
];

describe.each(databaseKinds())('operational events on %s', (kind) => {
  let t: TestApp;
  const receivers = receiverPool();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  let schemas: Map<string, object>;

  beforeAll(async () => {
    t = await createTestApp(kind, {
      WEBHOOK_FAILING_AFTER: '1s',
      DELIVERY_RETRY_SCHEDULE: Array.from({ length: 8 }, () => '300ms').join(','),
      DELIVERY_RETRY_JITTER: '0',
    });
    const catalog = (await t.request('GET', '/v1/event-types')).body as {
      data: { name: string; schema: object }[];
    };
    schemas = new Map(catalog.data.map((type) => [type.name, type.schema]));
  });
  afterAll(async () => {
    await t?.close();
    await receivers.closeAll();
  });

  const about = (received: Received[], event: string, webhookId: string) =>
    received.filter(
      (request) =>
        request.json.event === event && (request.json.webhook as { id: string }).id === webhookId,
    );

  it('tells the webhooks subscribed to them, by name, of failing, recovered, disabled webhooks and exhausted deliveries; never the one they are about', async () => {
    const ops = await receivers.start();
    const opsHook = await createWebhook(t, { uri: ops.url, event: OPERATIONAL });
    // a second subscriber whose own receiver fails: it is told of the others, never of itself
    const failingOps = await receivers.start(() => ({ status: 500 }));
    const failingOpsHook = await createWebhook(t, {
      uri: failingOps.url,
      event: 'webhook_failing',
    });
    const everything = await receivers.start();
    await createWebhook(t, { uri: everything.url, event: 'all' });

    let flakyStatus = 500;
    const flaky = await receivers.start(() => ({ status: flakyStatus }));
    const flakyHook = await createWebhook(t, { uri: flaky.url, event: 'channel_live' });
    const doomed = await receivers.start(() => ({ status: 500 }));
    const doomedHook = await createWebhook(t, { uri: doomed.url, event: 'channel_live' });
    const gone = await receivers.start(() => ({ status: 410 }));
    const goneHook = await createWebhook(t, { uri: gone.url, event: 'channel_live' });

    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');

    // failing for a second: told once, however many attempts fail after
    await eventually(
      async () => about(ops.received, 'webhook_failing', flakyHook.id).length > 0,
      20_000,
    );
    await eventually(async () => flaky.received.length >= 6, 20_000);
    flakyStatus = 200;
    await eventually(
      async () => about(ops.received, 'webhook_recovered', flakyHook.id).length > 0,
      20_000,
    );
    const [failing] = about(ops.received, 'webhook_failing', flakyHook.id);
    expect(about(ops.received, 'webhook_failing', flakyHook.id)).toHaveLength(1);
    expect(failing.json).toMatchObject({
      webhook: { id: flakyHook.id, uri: flaky.url },
      failingSince: expect.any(String),
      lastError: 'HTTP 500',
    });
    const [recovered] = about(ops.received, 'webhook_recovered', flakyHook.id);
    expect(recovered.json).toMatchObject({
      webhook: { id: flakyHook.id, uri: flaky.url },
      failingSince: failing.json.failingSince,
    });

    // a delivery out of attempts, and a webhook whose receiver answered 410
    await eventually(
      async () => about(ops.received, 'delivery_exhausted', doomedHook.id).length > 0,
      20_000,
    );
    const doomedLog = (await t.request('GET', `/v1/webhook/${doomedHook.id}/deliveries`)).body
      .data as { id: string; messageId: string; status: string }[];
    const [exhausted] = about(ops.received, 'delivery_exhausted', doomedHook.id);
    expect(exhausted.json).toMatchObject({
      webhook: { id: doomedHook.id, uri: doomed.url },
      delivery: {
        id: doomedLog[0].id,
        event: 'channel_live',
        channelId: channel.id,
        messageId: doomedLog[0].messageId,
      },
      attempts: 9,
      lastError: 'HTTP 500',
    });
    expect(doomedLog[0].status).toBe('failed');
    await eventually(
      async () => about(ops.received, 'webhook_disabled', goneHook.id).length > 0,
      20_000,
    );
    expect(about(ops.received, 'webhook_disabled', goneHook.id)[0].json).toMatchObject({
      webhook: { id: goneHook.id, uri: gone.url },
      reason: 'the receiver answered 410 Gone',
      lastError: 'HTTP 410',
    });
    expect((await t.request('GET', `/v1/webhook/${goneHook.id}`)).body.active).toBe(false);

    // the failing subscriber is told of the others' failing runs, and the first one of its own
    await eventually(
      async () => about(ops.received, 'webhook_failing', failingOpsHook.id).length > 0,
      20_000,
    );
    await sleep(500);
    expect(about(failingOps.received, 'webhook_failing', flakyHook.id).length).toBeGreaterThan(0);
    for (const request of failingOps.received) {
      expect((request.json.webhook as { id: string }).id).not.toBe(failingOpsHook.id);
    }
    for (const request of ops.received) {
      expect((request.json.webhook as { id: string }).id).not.toBe(opsHook.id);
      expect(verifySignature(opsHook.secret, request)).toEqual(request.json);
      const validate = ajv.compile(schemas.get(request.json.event as string)!);
      expect(validate(request.json), ajv.errorsText(validate.errors)).toBe(true);
    }
    // `all` is the channel events
    expect(everything.received.map((request) => request.json.event)).toEqual(['channel_live']);
    // and they are logged like any delivery
    const logged = (await t.request('GET', `/v1/webhook/${opsHook.id}/deliveries?length=100`)).body
      .data as { event: string; status: string; channelId: string | null }[];
    expect(new Set(logged.map((delivery) => delivery.event))).toEqual(new Set(OPERATIONAL));
    expect(logged.every((delivery) => delivery.channelId === null)).toBe(true);
  });

  it('takes operational names beside all, and lists by them; all alone does not match them', async () => {
    const both = await createWebhook(t, {
      uri: 'https://ops.example/hook',
      event: ['all', 'webhook_disabled'],
    });
    expect(both.event).toEqual(['all', 'webhook_disabled']);
    const listed = async (event: string) =>
      (
        (await t.request('GET', `/v1/webhook?length=100&event=${event}`)).body.data as {
          id: string;
          event: string[];
        }[]
      ).map((webhook) => webhook);
    const disabledSubscribers = await listed('webhook_disabled');
    expect(disabledSubscribers.map((webhook) => webhook.id)).toContain(both.id);
    expect(disabledSubscribers.every((webhook) => webhook.event.includes('webhook_disabled'))).toBe(
      true,
    );
    const unknown = await t.request('POST', '/v1/webhook', {
      body: { uri: 'https://ops.example/hook', event: 'webhook_exploded' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toEqual(['event has an unknown event "webhook_exploded"']);
  });
});
