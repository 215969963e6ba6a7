import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { receiverPool } from './helpers/receiver.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

const URI = 'https://app.example.com/hooks/live';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe.each(databaseKinds())('webhooks limited to some channels on %s', (kind) => {
  let t: TestApp;
  const receivers = receiverPool();

  beforeAll(async () => {
    t = await createTestApp(kind, { DELIVERY_RETRY_JITTER: '0' });
  });
  afterAll(async () => {
    await t?.close();
    await receivers.closeAll();
  });

  const problem = async (method: string, path: string, body: unknown) => {
    const answer = await t.request(method, path, { body });
    expect(answer.status).toBe(400);
    return (answer.body as { message: string[] }).message.join('; ');
  };

  it('takes channels at create and update, shows them, and null means every channel again', async () => {
    const [a, b] = [await createChannel(t), await createChannel(t)];
    const created = await createWebhook(t, { uri: URI, channels: [b.id, a.id, b.id] });
    expect(created.channels).toEqual([b.id, a.id]);
    expect((await t.request('GET', `/v1/webhook/${created.id}`)).body.channels).toEqual([
      b.id,
      a.id,
    ]);
    const every = await createWebhook(t, { uri: URI });
    expect(every.channels).toBeNull();

    const narrowed = await t.request('PUT', `/v1/webhook/${every.id}`, {
      body: { channels: [a.id] },
    });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.channels).toEqual([a.id]);
    const untouched = await t.request('PUT', `/v1/webhook/${every.id}`, { body: { active: true } });
    expect(untouched.body.channels).toEqual([a.id]);
    const widened = await t.request('PUT', `/v1/webhook/${every.id}`, { body: { channels: null } });
    expect(widened.body.channels).toBeNull();
  });

  it('takes them comma-separated (or repeated) in a form body; an empty value is every channel', async () => {
    const [a, b] = [await createChannel(t), await createChannel(t)];
    const created = await t.request('POST', '/v1/webhook', {
      rawBody: `uri=${encodeURIComponent(URI)}&event=all&channels=${a.id}%2C%20${b.id}`,
      headers: FORM,
    });
    expect(created.status).toBe(201);
    expect(created.body.channels).toEqual([a.id, b.id]);
    const repeated = await t.request('PUT', `/v1/webhook/${created.body.id}`, {
      rawBody: `channels=${b.id}&channels=${a.id}`,
      headers: FORM,
    });
    expect(repeated.body.channels).toEqual([b.id, a.id]);
    const cleared = await t.request('PUT', `/v1/webhook/${created.body.id}`, {
      rawBody: 'channels=',
      headers: FORM,
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.channels).toBeNull();
  });

  it('refuses, naming the field, an entry that names no channel, an empty list, over 1,000, and what is not an id; writing nothing', async () => {
    const a = await createChannel(t);
    expect(
      await problem('POST', '/v1/webhook', {
        uri: URI,
        event: 'all',
        channels: [a.id, '987654321'],
      }),
    ).toBe('channels names no channel "987654321"');
    expect(await problem('POST', '/v1/webhook', { uri: URI, event: 'all', channels: [] })).toBe(
      'channels must name at least one channel (null: every channel)',
    );
    expect(await problem('POST', '/v1/webhook', { uri: URI, event: 'all', channels: [42] })).toBe(
      'channels has 42, which is not a channel id (a string of digits, e.g. "42")',
    );
    expect(await problem('POST', '/v1/webhook', { uri: URI, event: 'all', channels: a.id })).toBe(
      'channels must be an array of channel ids, or null for every channel',
    );
    const many = Array.from({ length: 1001 }, (_, index) => String(index + 1));
    expect(await problem('POST', '/v1/webhook', { uri: URI, event: 'all', channels: many })).toBe(
      'channels names 1001 channels; at most 1000 (null: every channel)',
    );
    const total = async () => (await t.request('GET', '/v1/webhook?length=1')).body.total as number;
    const before = await total();
    await problem('POST', '/v1/webhook', { uri: URI, event: 'all', channels: ['987654321'] });
    expect(await total()).toBe(before);

    const hook = await createWebhook(t, { uri: URI, channels: [a.id] });
    expect(
      await problem('PUT', `/v1/webhook/${hook.id}`, { channels: ['987654321', '987654322'] }),
    ).toBe('channels names no channels "987654321", "987654322"');
    expect((await t.request('GET', `/v1/webhook/${hook.id}`)).body.channels).toEqual([a.id]);
    expect(await problem('GET', '/v1/webhook?channel=abc', undefined)).toBe(
      'channel must be a channel id (a string of digits, e.g. "42")',
    );
  });

  it('lists by channel: the webhooks on every channel and those limited to channels that include it', async () => {
    const [a, b] = [await createChannel(t), await createChannel(t)];
    const onA = await createWebhook(t, { uri: `${URI}?a`, channels: [a.id] });
    const onB = await createWebhook(t, {
      uri: `${URI}?b`,
      event: 'channel_live',
      channels: [b.id],
    });
    const list = async (query: string) =>
      (await t.request('GET', `/v1/webhook?length=100&${query}`)).body as {
        data: { id: string; channels: string[] | null }[];
        total: number;
      };
    const byA = await list(`channel=${a.id}`);
    const ids = byA.data.map((webhook) => webhook.id);
    expect(ids).toContain(onA.id);
    expect(ids).not.toContain(onB.id);
    expect(
      byA.data.every((webhook) => webhook.channels === null || webhook.channels.includes(a.id)),
    ).toBe(true);
    expect(byA.total).toBe(byA.data.length);
    const liveOnB = await list(`channel=${b.id}&event=channel_live`);
    expect(liveOnB.data.map((webhook) => webhook.id)).toContain(onB.id);
    expect((await list(`channel=${b.id}&event=channel_stop`)).data.map((w) => w.id)).not.toContain(
      onB.id,
    );
  });

  it("delivers a channel's events only to the webhooks that get that channel; a deleted channel stays listed and never matches", async () => {
    const target = await receivers.start();
    const [a, b, c] = [await createChannel(t), await createChannel(t), await createChannel(t)];
    await createWebhook(t, { uri: `${target.url}?who=a`, channels: [a.id] });
    await createWebhook(t, { uri: `${target.url}?who=ab`, channels: [a.id, b.id] });
    const everyChannel = await createWebhook(t, { uri: `${target.url}?who=every` });
    const stopsOnC = await createWebhook(t, {
      uri: `${target.url}?who=c-stops`,
      event: 'channel_stop',
      channels: [c.id],
    });
    for (const channel of [a, b, c]) await ingest(t, channel.streamKey, 'publish');
    await ingest(t, c.streamKey, 'unpublish');

    await eventually(async () => target.received.length >= 8);
    await sleep(500);
    const seen = target.received
      .map((request) => `${request.path.split('=')[1]}:${request.json.id}:${request.json.event}`)
      .sort();
    expect(seen).toEqual(
      [
        `a:${a.id}:channel_live`,
        `ab:${a.id}:channel_live`,
        `ab:${b.id}:channel_live`,
        `c-stops:${c.id}:channel_stop`,
        `every:${a.id}:channel_live`,
        `every:${b.id}:channel_live`,
        `every:${c.id}:channel_live`,
        `every:${c.id}:channel_stop`,
      ].sort(),
    );

    // a deleted channel: still listed on the webhook, and a new channel is never taken for it
    const gone = await createChannel(t);
    const onGone = await createWebhook(t, { uri: `${target.url}?who=gone`, channels: [gone.id] });
    expect((await t.request('DELETE', `/v1/channel/${gone.id}`)).status).toBe(200);
    expect((await t.request('GET', `/v1/webhook/${onGone.id}`)).body.channels).toEqual([gone.id]);
    const next = await createChannel(t);
    expect(next.id).not.toBe(gone.id);
    target.received.length = 0;
    await ingest(t, next.streamKey, 'publish');
    await eventually(async () => target.received.length >= 1);
    await sleep(500);
    expect(target.received.map((request) => request.path.split('=')[1])).toEqual(['every']);
    expect(everyChannel.channels).toBeNull();
    expect(stopsOnC.channels).toEqual([c.id]);
  });
});
