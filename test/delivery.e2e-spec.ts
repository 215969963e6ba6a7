import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelEventEntity } from '../src/channel-events/channel-event.entity.js';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { receiverPool, startReceiver } from './helpers/receiver.js';
import { verifySignature as verify } from './helpers/signature.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';
import { DATA_SOURCE } from '../src/database/data-source.token.js';

const FAST = {
  DELIVERY_RETRY_SCHEDULE: '300ms,300ms,300ms',
  DELIVERY_RETRY_JITTER: '0',
  DELIVERY_TIMEOUT: '1s',
};

describe.each(databaseKinds())('delivery on %s', (kind) => {
  let t: TestApp;
  const receivers = receiverPool();
  const receiver = receivers.start;
  const webhook = (uri: string, event: string | string[] = 'all') =>
    createWebhook(t, { uri, event });
  const deliveries = async (webhookId: string, query = '') =>
    (await t.request('GET', `/v1/webhook/${webhookId}/deliveries?length=100${query}`)).body
      .data as any[];
  const settled = (webhookId: string, count: number) =>
    eventually(async () => {
      const data = await deliveries(webhookId);
      return data.length >= count && data.every((delivery) => delivery.status !== 'pending')
        ? data
        : undefined;
    }, 20_000);

  beforeAll(async () => {
    t = await createTestApp(kind, FAST);
  });
  afterAll(async () => {
    await t?.close();
    await receivers.closeAll();
  });

  it('delivers each event to the active webhooks subscribed to it or to all, signed, with the channel as GET shows it', async () => {
    const target = await receiver();
    const live = await webhook(`${target.url}?who=live`, 'channel_live');
    const all = await webhook(`${target.url}?who=all`, 'all');
    const stop = await webhook(`${target.url}?who=stop`, 'channel_stop');
    const paused = await webhook(`${target.url}?who=paused`, 'all');
    await t.request('PUT', `/v1/webhook/${paused.id}`, { body: { active: false } });
    const channel = await createChannel(t, { description: 'desc' });
    await ingest(t, channel.streamKey, 'publish');
    const snapshot = (await t.request('GET', `/v1/channel/${channel.id}`)).body;
    await ingest(t, channel.streamKey, 'unpublish');

    await eventually(async () => target.received.length >= 4);
    await sleep(300);
    const seen = target.received
      .map((request) => `${request.path.split('=')[1]}:${request.json.event}`)
      .sort();
    expect(seen).toEqual([
      'all:channel_live',
      'all:channel_stop',
      'live:channel_live',
      'stop:channel_stop',
    ]);

    const first = target.received.find((request) => request.path.endsWith('who=live'))!;
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['user-agent']).toMatch(/^channel-webhooks\/\d+\.\d+\.\d+$/);
    expect(first.json).toEqual({
      event: 'channel_live',
      eventTime: expect.any(Number),
      sequence: 1,
      ...snapshot,
    });
    expect(first.json.eventTime).toBe(Date.parse(snapshot.liveAt));
    expect(first.body).not.toContain(channel.streamKey);
    expect(first.json).not.toHaveProperty('streamKey');
    expect(Math.abs(Number(first.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(
      30,
    );
    expect(verify(live.secret, first)).toEqual(first.json);
    expect(() => verify(all.secret, first)).toThrow();
    for (const request of target.received) {
      const secret = { live, all, stop }[request.path.split('=')[1] as 'live' | 'all' | 'stop']
        .secret;
      expect(verify(secret, request)).toEqual(request.json);
    }
    expect(await deliveries(paused.id)).toEqual([]);
    const logged = await settled(all.id, 2);
    expect(logged.map((delivery) => delivery.event)).toEqual(['channel_stop', 'channel_live']);
    expect(logged[0]).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      lastStatusCode: 200,
      lastError: null,
      nextAttemptAt: null,
      channelId: channel.id,
    });
  });

  it("numbers each channel's events in their callbacks: 1 for its first, one more for each after it", async () => {
    const target = await receiver();
    await webhook(target.url, 'all');
    const one = await createChannel(t, { reconnectWindow: 1 });
    const two = await createChannel(t);
    await ingest(t, one.streamKey, 'publish');
    await ingest(t, two.streamKey, 'publish');
    await ingest(t, one.streamKey, 'unpublish');
    await ingest(t, one.streamKey, 'publish'); // a reconnect within the window: the same session
    await ingest(t, one.streamKey, 'publish'); // already live: no event, no number
    await ingest(t, one.streamKey, 'unpublish');
    // the window runs out: channel_ended from the expiry scan
    await eventually(
      async () => (await t.request('GET', `/v1/channel/${one.id}`)).body.status === 'ended',
    );
    await ingest(t, one.streamKey, 'publish'); // a new session goes on counting
    await t.request('POST', `/v1/channel/${two.id}/end`);

    await eventually(async () => target.received.length >= 8);
    await sleep(300);
    const numbered = (channelId: string) =>
      target.received
        .map((request) => request.json as { id: string; event: string; sequence: number })
        .filter((body) => body.id === channelId)
        .sort((a, b) => a.sequence - b.sequence)
        .map((body) => `${body.sequence}:${body.event}`);
    expect(numbered(one.id)).toEqual([
      '1:channel_live',
      '2:channel_stop',
      '3:channel_live',
      '4:channel_stop',
      '5:channel_ended',
      '6:channel_live',
    ]);
    expect(numbered(two.id)).toEqual(['1:channel_live', '2:channel_ended']);
    expect(target.received).toHaveLength(8);
  });

  it('retries on failure by the schedule with the same webhook-id, then marks the delivery failed and keeps it in the log', async () => {
    const target = await receiver(() => ({ status: 500, body: 'broken' }));
    const hook = await webhook(target.url, 'channel_live');
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    const [delivery] = await settled(hook.id, 1);
    expect(delivery).toMatchObject({
      status: 'failed',
      attempts: 4,
      lastStatusCode: 500,
      lastError: 'HTTP 500',
      nextAttemptAt: null,
    });
    expect(target.received).toHaveLength(4);
    expect(new Set(target.received.map((request) => request.headers['webhook-id'])).size).toBe(1);
    for (let i = 1; i < 4; i++) {
      expect(target.received[i].at - target.received[i - 1].at).toBeGreaterThanOrEqual(280);
    }
    for (const request of target.received)
      expect(verify(hook.secret, request)).toEqual(target.received[0].json);
    const detail = (await t.request('GET', `/v1/webhook/${hook.id}/deliveries/${delivery.id}`))
      .body;
    expect(detail.attempts).toHaveLength(4);
    expect(detail.attempts[0]).toEqual({
      at: expect.any(String),
      statusCode: 500,
      durationMs: expect.any(Number),
      error: 'HTTP 500',
      responseBody: 'broken',
      responseBodyTruncated: false,
      requestHeaders: {
        'content-type': 'application/json',
        'user-agent': target.received[0].headers['user-agent'],
        'webhook-id': delivery.messageId,
        'webhook-timestamp': target.received[0].headers['webhook-timestamp'],
        'webhook-signature': target.received[0].headers['webhook-signature'],
      },
      responseHeaders: expect.objectContaining({ 'content-type': 'text/plain' }),
      errorDescription: 'The receiver answered 500 Internal Server Error',
    });
    expect(detail.payload).toEqual(target.received[0].json);
    await sleep(700);
    expect(target.received).toHaveLength(4);
  });

  it('makes the webhook inactive at once on 410 Gone', async () => {
    const target = await receiver(() => ({ status: 410 }));
    const hook = await webhook(target.url);
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    const [delivery] = await settled(hook.id, 1);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 410 });
    expect((await t.request('GET', `/v1/webhook/${hook.id}`)).body.active).toBe(false);
    await ingest(t, channel.streamKey, 'unpublish');
    await sleep(600);
    expect(target.received).toHaveLength(1);
    expect(
      (await t.request('PUT', `/v1/webhook/${hook.id}`, { body: { active: true } })).body.active,
    ).toBe(true);
  });

  it('holds the deliveries of a paused webhook, unsent and with no attempt counted, and sends them in order when it is active again', async () => {
    let answering = false;
    const target = await receiver(() => (answering ? {} : { status: 500 }));
    const hook = await webhook(target.url);
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    // The first attempt fails; the webhook is paused before its retry (300 ms later).
    await eventually(async () => target.received.length >= 1);
    await t.request('PUT', `/v1/webhook/${hook.id}`, { body: { active: false } });
    await sleep(1_200);
    expect(target.received).toHaveLength(1);
    const [held] = await deliveries(hook.id);
    expect(held).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: null });

    answering = true;
    await t.request('PUT', `/v1/webhook/${hook.id}`, { body: { active: true } });
    await ingest(t, channel.streamKey, 'unpublish');
    const done = await settled(hook.id, 2);
    expect(done.map((delivery) => [delivery.event, delivery.status, delivery.attempts])).toEqual([
      ['channel_stop', 'succeeded', 1],
      ['channel_live', 'succeeded', 2],
    ]);
    expect(target.received.map((request) => request.json.event)).toEqual([
      'channel_live',
      'channel_live',
      'channel_stop',
    ]);
  });

  it('paces a webhook with a rateLimit: those over it wait, none fails, others are not held up', async () => {
    const paced = await receiver();
    const free = await receiver();
    const limited = await createWebhook(t, {
      uri: paced.url,
      event: 'channel_live',
      rateLimit: 5,
    });
    await webhook(free.url, 'channel_live');
    const channels = [];
    for (let i = 0; i < 12; i++) channels.push(await createChannel(t));
    await Promise.all(channels.map((channel) => ingest(t, channel.streamKey, 'publish')));
    await eventually(async () => free.received.length >= 12, 10_000);
    const done = await settled(limited.id, 12);
    expect(done.map((delivery) => [delivery.status, delivery.attempts])).toEqual(
      Array(12).fill(['succeeded', 1]),
    );
    const times = paced.received.map((request) => request.at).sort((a, b) => a - b);
    // 5 per second: twelve are sent 11 intervals of 200 ms apart, where unpaced they would arrive
    // within tens of ms; the receiver sees them later than they were sent, the first most (a new
    // connection, a loaded machine), so the spread it sees is held to 9 intervals, not 11.
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(9 * 200);
    expect(free.received[free.received.length - 1].at).toBeLessThan(times[times.length - 1]);
  });

  it('recovers the failed deliveries of a time window: again, in order, same webhook-id, 202 with the count', async () => {
    let answering = false;
    const target = await receiver(() => (answering ? {} : { status: 500 }));
    const hook = await webhook(target.url);
    const since = new Date(Date.now() - 1_000).toISOString();
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    await ingest(t, channel.streamKey, 'unpublish');
    await ingest(t, channel.streamKey, 'publish');
    const failed = await settled(hook.id, 3);
    expect(failed.map((delivery) => delivery.status)).toEqual(['failed', 'failed', 'failed']);
    const firstIds = new Map<string, string>();
    for (const request of target.received) {
      firstIds.set(String(request.headers['webhook-id']), request.json.event);
    }

    expect((await t.request('POST', `/v1/webhook/${hook.id}/recover`, { body: {} })).status).toBe(
      400,
    );
    expect(
      (
        await t.request('POST', `/v1/webhook/${hook.id}/recover`, {
          body: { since, until: since },
        })
      ).status,
    ).toBe(400);
    expect(
      (await t.request('POST', '/v1/webhook/999999/recover', { body: { since } })).status,
    ).toBe(404);
    // A window that ends before them recovers nothing.
    const none = await t.request('POST', `/v1/webhook/${hook.id}/recover`, {
      body: { since: '2020-01-01T00:00:00Z', until: '2020-01-02T00:00:00Z' },
    });
    expect(none).toMatchObject({ status: 202, body: { recovered: 0 } });

    answering = true;
    const sentBefore = target.received.length;
    const recovered = await t.request('POST', `/v1/webhook/${hook.id}/recover`, {
      body: { since },
    });
    expect(recovered).toMatchObject({ status: 202, body: { recovered: 3 } });
    const done = await settled(hook.id, 3);
    expect(done.map((delivery) => delivery.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    const again = target.received.slice(sentBefore);
    expect(again.map((request) => request.json.event)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_live',
    ]);
    for (const request of again) {
      expect(firstIds.has(String(request.headers['webhook-id']))).toBe(true);
    }
  });

  it('recovers into a busy line: behind its head, ahead of the newer ones, which still follow it', async () => {
    let failing = true;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const target = await receiver(async (request) => {
      if (failing) return { status: 500 };
      if (request.json.event === 'channel_stop') await held;
      return {};
    });
    const hook = await webhook(target.url);
    const since = new Date(Date.now() - 1_000).toISOString();
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    const [lost] = await settled(hook.id, 1);
    expect(lost.status).toBe('failed');

    // The line is busy again: a head held by the receiver, a newer delivery waiting behind it.
    failing = false;
    await ingest(t, channel.streamKey, 'unpublish');
    await ingest(t, channel.streamKey, 'publish');
    await eventually(async () => target.received.some((r) => r.json.event === 'channel_stop'));
    const busy = await eventually(async () => {
      const data = await deliveries(hook.id);
      return data.length === 3 ? data : undefined;
    });
    expect(busy.map((delivery) => delivery.status)).toEqual(['pending', 'pending', 'failed']);

    const recovered = await t.request('POST', `/v1/webhook/${hook.id}/recover`, {
      body: { since },
    });
    expect(recovered).toMatchObject({ status: 202, body: { recovered: 1 } });
    // The recovered delivery is older than the one waiting: finishing it must hand the line on.
    const [row] = await t.app
      .get<DataSource>(DATA_SOURCE)
      .query<{ hasFollowers: number | boolean }[]>(
        'SELECT has_followers AS hasFollowers FROM delivery WHERE id = ?',
        [lost.id],
      );
    expect(Boolean(row.hasFollowers)).toBe(true);

    const sentBefore = target.received.length;
    release();
    const done = await settled(hook.id, 3);
    expect(done.map((delivery) => delivery.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(target.received.slice(sentBefore - 1).map((request) => request.json.event)).toEqual([
      'channel_stop',
      'channel_live',
      'channel_live',
    ]);
    // The one sent again is the lost message (its first webhook-id), before the newer one.
    expect(target.received[sentBefore].headers['webhook-id']).toBe(
      target.received[0].headers['webhook-id'],
    );
  });

  it('honours Retry-After on 429 within the schedule bounds', async () => {
    // Between the schedule's shortest (200 ms) and longest (1 h) waits, so 2 s is kept as asked.
    const slow = await createTestApp(kind, { ...FAST, DELIVERY_RETRY_SCHEDULE: '200ms,1h' });
    try {
      const target = await receiver((request) =>
        request.index === 0 ? { status: 429, headers: { 'retry-after': '2' } } : {},
      );
      await createWebhook(slow, { uri: target.url });
      const channel = await createChannel(slow);
      await ingest(slow, channel.streamKey, 'publish');
      await eventually(async () => target.received.length >= 2, 15_000);
      // Not the schedule's 1 h (the second attempt came within the wait above), nor its 200 ms:
      // the 2 s the receiver asked for (a loaded machine may add to it, never take from it).
      expect(target.received[1].at - target.received[0].at).toBeGreaterThanOrEqual(1900);
    } finally {
      await slow.close();
    }
  });

  it.each([
    [
      'a 302 (never followed)',
      () => ({ status: 302, headers: { location: 'http://127.0.0.1:9/elsewhere' } }),
      /HTTP 302: redirects are not followed/,
    ],
    ['a timeout', () => ({ hang: true }), /timed out after 1000 ms/],
    ['a connection reset', () => ({ reset: true }), /connection reset/],
  ])('records %s as a failed attempt', async (_label, behave, error) => {
    const target = await receiver(behave);
    const hook = await webhook(target.url, 'channel_live');
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    const first = await eventually(async () => {
      const [delivery] = await deliveries(hook.id);
      return delivery?.attempts >= 1 ? delivery : undefined;
    }, 15_000);
    expect(first.lastError).toMatch(error);
    expect(first.lastStatusCode).toBe(_label.includes('302') ? 302 : null);
    await t.request('DELETE', `/v1/webhook/${hook.id}`);
  });

  it('keeps at most 1 KiB of a huge 2xx answer, and says it was cut', async () => {
    const target = await receiver(() => ({ status: 200, body: Buffer.alloc(1024 * 1024, 'a') }));
    const hook = await webhook(target.url, 'channel_live');
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    const [delivery] = await settled(hook.id, 1);
    expect(delivery.status).toBe('succeeded');
    const detail = (await t.request('GET', `/v1/webhook/${hook.id}/deliveries/${delivery.id}`))
      .body;
    expect(detail.attempts[0].responseBody).toHaveLength(1024);
    expect(detail.attempts[0].responseBodyTruncated).toBe(true);
  });

  it('delivers live → stop → ended in order per channel even when retries happen, without holding up other channels', async () => {
    const failFirst = new Map<string, number>();
    const target = await receiver((request) => {
      const key = `${request.json.id}:${request.json.event}`;
      const seen = failFirst.get(key) ?? 0;
      failFirst.set(key, seen + 1);
      // the first channel's live fails twice, its stop once
      if (request.json.name === 'slow' && request.json.event === 'channel_live' && seen < 2)
        return { status: 503 };
      if (request.json.name === 'slow' && request.json.event === 'channel_stop' && seen < 1)
        return { status: 500 };
      return {};
    });
    const hook = await webhook(target.url);
    const slow = await createChannel(t, { name: 'slow' });
    const fast = await createChannel(t, { name: 'fast' });
    await ingest(t, slow.streamKey, 'publish');
    await ingest(t, slow.streamKey, 'unpublish');
    await t.request('POST', `/v1/channel/${slow.id}/end`);
    await ingest(t, fast.streamKey, 'publish');
    await ingest(t, fast.streamKey, 'unpublish');
    await settled(hook.id, 5);
    const ok = (name: string) =>
      target.received
        .filter((request) => request.json.name === name)
        .map((request) => request.json.event);
    expect(ok('slow')).toEqual([
      'channel_live',
      'channel_live',
      'channel_live',
      'channel_stop',
      'channel_stop',
      'channel_ended',
    ]);
    expect(ok('fast')).toEqual(['channel_live', 'channel_stop']);
    // the fast channel finished while the slow one was still retrying
    const fastDone = target.received.filter((request) => request.json.name === 'fast').at(-1)!.at;
    const slowDone = target.received.filter((request) => request.json.name === 'slow').at(-1)!.at;
    expect(fastDone).toBeLessThan(slowDone);
  });

  it('records the other outcomes of a batch when a webhook is deleted while its attempt is in flight', async () => {
    const target = await receiver(() => ({ delayMs: 600 }));
    const doomed = await webhook(`${target.url}?who=doomed`);
    const kept = await webhook(`${target.url}?who=kept`);
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    await eventually(async () => target.received.length >= 2);
    expect((await t.request('DELETE', `/v1/webhook/${doomed.id}`)).status).toBe(200);
    const [delivery] = await settled(kept.id, 1);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1 });
    await sleep(300);
    expect(target.received).toHaveLength(2);
  });

  it('lets a dead delivery release its line', async () => {
    const target = await receiver((request) =>
      request.json.event === 'channel_live' ? { status: 500 } : {},
    );
    const hook = await webhook(target.url);
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    await ingest(t, channel.streamKey, 'unpublish');
    const log = await settled(hook.id, 2);
    expect(log.map((delivery) => [delivery.event, delivery.status])).toEqual([
      ['channel_stop', 'succeeded'],
      ['channel_live', 'failed'],
    ]);
    expect(target.received.map((request) => request.json.event)).toEqual([
      'channel_live',
      'channel_live',
      'channel_live',
      'channel_live',
      'channel_stop',
    ]);
  });

  it('redelivers a delivery with the same webhook-id, and sends a signed, logged test ping', async () => {
    const target = await receiver();
    const hook = await webhook(target.url, 'channel_live');
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    const [delivery] = await settled(hook.id, 1);
    const redelivered = await t.request(
      'POST',
      `/v1/webhook/${hook.id}/deliveries/${delivery.id}/redeliver`,
    );
    expect(redelivered.status).toBe(202);
    await eventually(async () => target.received.length >= 2);
    expect(target.received[1].headers['webhook-id']).toBe(target.received[0].headers['webhook-id']);
    expect(target.received[1].body).toBe(target.received[0].body);
    expect(verify(hook.secret, target.received[1])).toEqual(target.received[0].json);
    await eventually(async () => (await deliveries(hook.id))[0].attempts === 2);

    const ping = await t.request('POST', `/v1/webhook/${hook.id}/test`);
    expect(ping.status).toBe(202);
    expect(ping.body).toMatchObject({ event: 'ping', channelId: null, status: 'pending' });
    await eventually(async () => target.received.length >= 3);
    const request = target.received[2];
    expect(request.json).toEqual({
      event: 'ping',
      eventTime: expect.any(Number),
      webhookId: hook.id,
    });
    expect(verify(hook.secret, request)).toEqual(request.json);
    const log = await settled(hook.id, 2);
    expect(log[0]).toMatchObject({
      id: ping.body.id,
      event: 'ping',
      status: 'succeeded',
      attempts: 1,
    });
  });

  it('attempts a test ping once: a failed one ends failed and is never retried', async () => {
    const target = await receiver(() => ({ status: 500, body: 'broken' }));
    const pinged = await webhook(`${target.url}?who=pinged`, 'channel_ended');
    const ping = await t.request('POST', `/v1/webhook/${pinged.id}/test`);
    expect(ping.status).toBe(202);
    const failed = await eventually(async () => {
      const [delivery] = await deliveries(pinged.id);
      return delivery?.status === 'failed' ? delivery : undefined;
    });
    expect(failed).toMatchObject({
      id: ping.body.id,
      event: 'ping',
      attempts: 1,
      lastStatusCode: 500,
      nextAttemptAt: null,
    });

    // A channel event to the same receiver, sent after the ping failed, retried by the same
    // schedule: once it has had its third attempt, a retry of the ping would have been due twice.
    const control = await webhook(`${target.url}?who=control`, 'channel_live');
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    const to = (who: string) => target.received.filter((request) => request.path.endsWith(who));
    await eventually(async () => to('control').length >= 3);
    expect(to('pinged')).toHaveLength(1);
    expect(to('pinged')[0].json).toMatchObject({ event: 'ping', webhookId: pinged.id });
    const detail = (await t.request('GET', `/v1/webhook/${pinged.id}/deliveries/${ping.body.id}`))
      .body;
    expect(detail).toMatchObject({ status: 'failed', nextAttemptAt: null });
    expect(detail.attempts.map((attempt: { statusCode: number }) => attempt.statusCode)).toEqual([
      500,
    ]);
    expect(await deliveries(control.id)).toHaveLength(1);
  });

  it('delivers an event whose in-process emit never happened (the sweeper)', async () => {
    const target = await receiver();
    const hook = await webhook(target.url, 'channel_stop');
    const channel = await createChannel(t);
    // as if the process died right after committing the transition: an outbox row, no emit
    const body = JSON.stringify({
      event: 'channel_stop',
      eventTime: 1764237600000,
      id: channel.id,
      name: 'swept',
    });
    await t.app.get<DataSource>(DATA_SOURCE).manager.insert(ChannelEventEntity, {
      name: 'channel_stop',
      channelId: channel.id,
      sessionId: null,
      eventTime: 1764237600000,
      body,
      dispatchedAt: null,
      createdAt: new Date(),
    });
    await eventually(async () => target.received.length >= 1, 10_000);
    expect(target.received[0].body).toBe(body);
    expect(verify(hook.secret, target.received[0])).toEqual(JSON.parse(body));
  });

  it('makes a webhook that keeps failing longer than WEBHOOK_DISABLE_AFTER inactive', async () => {
    const strict = await createTestApp(kind, {
      ...FAST,
      DELIVERY_RETRY_SCHEDULE: '400ms,400ms,400ms,400ms',
      WEBHOOK_DISABLE_AFTER: '1s',
    });
    try {
      const target = await receiver(() => ({ status: 500 }));
      const created = await createWebhook(strict, { uri: target.url });
      const channel = await createChannel(strict);
      await ingest(strict, channel.streamKey, 'publish');
      await eventually(
        async () => !(await strict.request('GET', `/v1/webhook/${created.id}`)).body.active,
        10_000,
      );
      // Retried (a failing run begins at its first failure, so never inactive then), and made
      // inactive before its schedule ran out (four waits of 400 ms outlast the 1 s).
      expect(target.received.length).toBeGreaterThanOrEqual(2);
      expect(target.received.length).toBeLessThan(5);
    } finally {
      await strict.close();
    }
  });

  describe('the delivery log', () => {
    it('pages newest first, filters by status, and answers 404 and 400 as the rest of the API', async () => {
      const target = await receiver((request) =>
        request.json.event === 'channel_stop' ? { status: 500 } : {},
      );
      const hook = await webhook(target.url);
      const other = await webhook(target.url);
      const channel = await createChannel(t);
      await ingest(t, channel.streamKey, 'publish');
      await ingest(t, channel.streamKey, 'unpublish');
      await t.request('POST', `/v1/channel/${channel.id}/end`);
      await settled(hook.id, 3);
      const page = (await t.request('GET', `/v1/webhook/${hook.id}/deliveries?length=2`)).body;
      expect(page).toMatchObject({ total: 3, length: 2, page: 0 });
      expect(page.data.map((delivery: any) => delivery.event)).toEqual([
        'channel_ended',
        'channel_stop',
      ]);
      expect(Object.keys(page.data[0]).sort()).toEqual(
        [
          'attempts',
          'channelId',
          'createdAt',
          'event',
          'id',
          'lastError',
          'lastStatusCode',
          'messageId',
          'nextAttemptAt',
          'status',
        ].sort(),
      );
      const failed = (await t.request('GET', `/v1/webhook/${hook.id}/deliveries?status=failed`))
        .body;
      expect(failed.data.map((delivery: any) => delivery.event)).toEqual(['channel_stop']);
      expect(
        (await t.request('GET', `/v1/webhook/${hook.id}/deliveries?status=succeeded`)).body.total,
      ).toBe(2);
      const theirs = (await deliveries(other.id))[0];
      expect(
        (await t.request('GET', `/v1/webhook/${hook.id}/deliveries/${theirs.id}`)).status,
      ).toBe(404);
      expect(
        (await t.request('POST', `/v1/webhook/${hook.id}/deliveries/${theirs.id}/redeliver`))
          .status,
      ).toBe(404);
      expect((await t.request('GET', '/v1/webhook/999999999/deliveries')).status).toBe(404);
      expect((await t.request('GET', `/v1/webhook/${hook.id}/deliveries/abc`)).status).toBe(404);
      expect((await t.request('POST', '/v1/webhook/999999999/test')).status).toBe(404);
      for (const query of ['status=dead', 'length=0', 'page=-1']) {
        expect(
          (await t.request('GET', `/v1/webhook/${hook.id}/deliveries?${query}`)).status,
          query,
        ).toBe(400);
      }
    });
  });
});

describe.each(databaseKinds())('delivery retention on %s', (kind) => {
  it('deletes finished deliveries and their attempts past DELIVERY_RETENTION, and nothing still open', async () => {
    const t = await createTestApp(kind, {
      DELIVERY_RETRY_SCHEDULE: '1m',
      DELIVERY_RETENTION: '2s',
    });
    const ok = await startReceiver();
    const down = await startReceiver(() => ({ status: 503 }));
    try {
      const create = async (uri: string) =>
        (await createWebhook(t, { uri, event: 'channel_live' })).id;
      const done = await create(ok.url);
      const failing = await create(down.url);
      const channel = await createChannel(t);
      await ingest(t, channel.streamKey, 'publish');
      const list = async (id: string) =>
        (await t.request('GET', `/v1/webhook/${id}/deliveries`)).body.data as {
          id: string;
          status: string;
        }[];
      const [delivered] = await eventually(async () => {
        const data = await list(done);
        return data[0]?.status === 'succeeded' ? data : undefined;
      });
      // Within a few seconds of its retention running out, it is gone, attempts and all.
      await eventually(async () => (await list(done)).length === 0, 8_000, 200);
      expect(
        (await t.request('GET', `/v1/webhook/${done}/deliveries/${delivered.id}`)).status,
      ).toBe(404);
      const attempts = await t.app
        .get<DataSource>(DATA_SOURCE)
        .query('SELECT COUNT(*) AS n FROM delivery_attempt WHERE delivery_id = ?', [delivered.id]);
      expect(Number((attempts as { n: number | string }[])[0].n)).toBe(0);
      // The failing one is still retrying (pending), however old: it stays.
      expect((await list(failing)).map((delivery) => delivery.status)).toContain('pending');
    } finally {
      await t.close();
      await ok.close();
      await down.close();
    }
  });
});
