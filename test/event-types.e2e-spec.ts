import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { receiverPool } from './helpers/receiver.js';
import { verifySignature } from './helpers/signature.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

interface EventType {
  name: string;
  description: string;
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
}

describe.each(databaseKinds())('the event catalog on %s', (kind) => {
  let t: TestApp;
  let catalog: EventType[];
  const receivers = receiverPool();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const problemOf = (body: Record<string, unknown>) => {
    const type = catalog.find((entry) => entry.name === body.event);
    if (!type) return `no event type "${String(body.event)}"`;
    const validate = ajv.compile(type.schema);
    return validate(body) ? undefined : ajv.errorsText(validate.errors);
  };

  beforeAll(async () => {
    t = await createTestApp(kind, { DELIVERY_RETRY_JITTER: '0' });
    const answer = await t.request('GET', '/v1/event-types');
    expect(answer.status).toBe(200);
    catalog = (answer.body as { data: EventType[] }).data;
  });
  afterAll(async () => {
    await t?.close();
    await receivers.closeAll();
  });

  it("lists every event with what it means, the JSON Schema of its body (the API document's own) and an example that fits it", async () => {
    expect(catalog.map((type) => type.name)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_ended',
      'ping',
      'webhook_failing',
      'webhook_recovered',
      'webhook_disabled',
      'delivery_exhausted',
    ]);
    const document = (await t.request('GET', '/docs-json')).body as {
      webhooks: Record<string, { post: { summary: string } }>;
    };
    for (const type of catalog) {
      expect(type.description).toBe(document.webhooks[type.name].post.summary);
      expect(type.schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(JSON.stringify(type.schema)).not.toContain('$ref');
      expect(problemOf(type.example), type.name).toBeUndefined();
    }
    // the schema says what a body must have: one without its sequence is refused
    const { sequence: _left, ...withoutSequence } = catalog[0].example;
    expect(problemOf(withoutSequence)).toMatch(/sequence/);
    expect(problemOf({ ...catalog[3].example, eventTime: 'now' })).toMatch(/eventTime/);
    expect((await t.request('GET', '/v1/event-types', { apiKey: false })).status).toBe(401);
  });

  it('publishes schemas that the real callbacks of each kind fit', async () => {
    const target = await receivers.start();
    const hook = await createWebhook(t, { uri: target.url });
    const channel = await createChannel(t, { description: 'with a description' });
    await ingest(t, channel.streamKey, 'publish');
    await ingest(t, channel.streamKey, 'unpublish');
    await t.request('POST', `/v1/channel/${channel.id}/end`);
    await t.request('POST', `/v1/webhook/${hook.id}/test`);
    await eventually(async () => target.received.length >= 4);
    const seen = new Set<string>();
    for (const request of target.received) {
      seen.add(request.json.event as string);
      expect(problemOf(request.json), request.body).toBeUndefined();
    }
    expect([...seen].sort()).toEqual(['channel_ended', 'channel_live', 'channel_stop', 'ping']);
    // only the test is marked as one
    for (const request of target.received) {
      expect(request.headers['webhook-test'], request.json.event as string).toBe(
        request.json.event === 'ping' ? 'true' : undefined,
      );
    }
  });

  it("sends an event's example as a test, marked in a header, signed, once; refuses an unknown name", async () => {
    const target = await receivers.start(() => ({ status: 500 }));
    const hook = await createWebhook(t, { uri: target.url, event: 'channel_live' });
    const before = Date.now();
    const sent = await t.request('POST', `/v1/webhook/${hook.id}/test`, {
      body: { event: 'channel_stop' },
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ event: 'channel_stop', channelId: null, status: 'pending' });
    await eventually(async () => target.received.length >= 1);
    const [request] = target.received;
    const example = catalog.find((type) => type.name === 'channel_stop')!.example;
    expect(request.json).toEqual({ ...example, eventTime: expect.any(Number) });
    expect(request.json.eventTime).toBeGreaterThanOrEqual(before);
    expect(request.headers['webhook-test']).toBe('true');
    expect(verifySignature(hook.secret, request)).toEqual(request.json);
    // one attempt, never retried; the webhook stays active
    let log: { status: string; attempts: unknown[] } | undefined;
    await eventually(async () => {
      log = (await t.request('GET', `/v1/webhook/${hook.id}/deliveries/${sent.body.id}`)).body;
      return log?.status === 'failed';
    }).catch(() => expect(log).toMatchObject({ status: 'failed' }));
    expect(log?.attempts).toHaveLength(1);
    expect((await t.request('GET', `/v1/webhook/${hook.id}`)).body.active).toBe(true);

    const unknown = await t.request('POST', `/v1/webhook/${hook.id}/test`, {
      body: { event: 'channel_start' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toEqual(['event has an unknown event "channel_start"']);
    const none = await t.request('POST', `/v1/webhook/${hook.id}/test`, { body: { event: null } });
    expect(none.status).toBe(400);
    expect(none.body.message).toEqual(['event has an unknown event null']);
    const other = await t.request('POST', `/v1/webhook/${hook.id}/test`, {
      body: { events: 'ping' },
    });
    expect(other.status).toBe(400);
  });
});
