import { createServer } from 'node:net';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Reads } from '../src/database/reads.js';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { receiverPool } from './helpers/receiver.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';
import { DATA_SOURCE } from '../src/database/data-source.token.js';

/** Retries far enough apart that a failing delivery stays open while a test looks at it. */
const SETTINGS = {
  DELIVERY_RETRY_SCHEDULE: '30s,30s',
  DELIVERY_RETRY_JITTER: '0',
  DELIVERY_TIMEOUT: '2s',
};

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(databaseKinds())('operator console API on %s', (kind) => {
  let t: TestApp;
  const receivers = receiverPool();
  const ok = () => receivers.start();
  const answering = (status: number, headers: Record<string, string> = {}) =>
    receivers.start(() => ({ status, headers, body: `answered ${status}` }));

  const webhook = (uri: string, body: Record<string, unknown> = {}) =>
    createWebhook(t, { uri, ...body });
  const ping = async (webhookId: string) => {
    const response = await t.request('POST', `/v1/webhook/${webhookId}/test`);
    expect(response.status, response.text).toBe(202);
    return response.body as { id: string; messageId: string };
  };
  const summary = async (query = '') => {
    const response = await t.request('GET', `/v1/webhook-summary${query}`);
    expect(response.status, response.text).toBe(200);
    return response.body as { window: string; generatedAt: string; webhooks: any[] };
  };
  const summaryOf = async (webhookId: string) =>
    (await summary()).webhooks.find((entry) => entry.id === webhookId);
  /** Waits until the webhook's deliveries are all finished, or at least `count` attempts were made. */
  const attempted = (webhookId: string, count = 1) =>
    eventually(async () => {
      const entry = await summaryOf(webhookId);
      return entry && entry.attempts >= count ? entry : undefined;
    }, 15_000);
  const detail = async (webhookId: string, deliveryId: string) => {
    const response = await t.request('GET', `/v1/webhook/${webhookId}/deliveries/${deliveryId}`);
    expect(response.status, response.text).toBe(200);
    return response.body;
  };
  const finished = (webhookId: string, deliveryId: string) =>
    eventually(async () => {
      const found = await detail(webhookId, deliveryId);
      return found.status !== 'pending' ? found : undefined;
    }, 15_000);

  beforeAll(async () => {
    t = await createTestApp(kind, SETTINGS);
  });
  afterEach(async () => {
    // each test starts with no webhooks: the summary shows only its own
    const listed = await t.request('GET', '/v1/webhook?length=100');
    for (const { id } of listed.body.data as { id: string }[]) {
      await t.request('DELETE', `/v1/webhook/${id}`);
    }
  });
  afterAll(async () => {
    await t?.close();
    await receivers.closeAll();
  });

  describe('GET /v1/webhook-summary', () => {
    it('shows a webhook whose receiver answers 500 as failing after its first attempt, with the error and the next retry', async () => {
      const target = await answering(500);
      const hook = await webhook(target.url, { event: 'channel_live' });
      const channel = await createChannel(t);
      await ingest(t, channel.streamKey, 'publish');
      const entry = await attempted(hook.id);
      expect(target.received).toHaveLength(1);
      expect(entry).toMatchObject({
        id: hook.id,
        uri: target.url,
        event: ['channel_live'],
        active: true,
        state: 'failing',
        lastError: 'HTTP 500',
        lastStatusCode: 500,
        disabledReason: null,
        pending: 1,
        attempts: 1,
        succeeded: 0,
        successRate: 0,
      });
      const lastAttemptAt = Date.parse(entry.lastAttemptAt);
      // The failing run began when the attempt's outcome was recorded: after the attempt.
      expect(Date.parse(entry.failingSince)).toBeLessThanOrEqual(Date.now());
      expect(Date.parse(entry.failingSince)).toBeGreaterThanOrEqual(lastAttemptAt);
      // the first retry is due 30 s after the attempt
      expect(Date.parse(entry.nextRetryAt) - lastAttemptAt).toBeGreaterThan(25_000);
      expect(entry.latencyP50Ms).toEqual(expect.any(Number));
      expect(entry.latencyP95Ms).toBeGreaterThanOrEqual(entry.latencyP50Ms);
      expect(entry.buckets).toHaveLength(24);
      expect(entry.buckets[23]).toMatchObject({ attempts: 1, failed: 1 });
      expect(entry.buckets.slice(0, 23).every((bucket: any) => bucket.attempts === 0)).toBe(true);
    });

    it('tells paused from disabled by the service (410 Gone), with the reason', async () => {
      const pausedTarget = await ok();
      const paused = await webhook(pausedTarget.url);
      await t.request('PUT', `/v1/webhook/${paused.id}`, { body: { active: false } });
      const goneTarget = await answering(410);
      const gone = await webhook(goneTarget.url);
      const channel = await createChannel(t);
      await ingest(t, channel.streamKey, 'publish');
      const disabled = await eventually(async () => {
        const entry = await summaryOf(gone.id);
        return entry?.state === 'disabled' ? entry : undefined;
      });
      expect(disabled).toMatchObject({
        active: false,
        disabledReason: 'the receiver answered 410 Gone',
        lastError: 'HTTP 410',
        lastStatusCode: 410,
        pending: 0,
        nextRetryAt: null,
        attempts: 1,
        succeeded: 0,
      });
      expect(disabled.failingSince).toBe(disabled.lastAttemptAt);
      // an inactive webhook gets no deliveries: nothing pending, nothing tried
      expect(await summaryOf(paused.id)).toMatchObject({
        active: false,
        state: 'paused',
        disabledReason: null,
        failingSince: null,
        lastAttemptAt: null,
        lastError: null,
        pending: 0,
        attempts: 0,
        successRate: null,
        latencyP50Ms: null,
        latencyP95Ms: null,
      });
      expect(pausedTarget.received).toHaveLength(0);
      // resumed, and a test ping answered: healthy
      await t.request('PUT', `/v1/webhook/${paused.id}`, { body: { active: true } });
      await ping(paused.id);
      const resumed = await attempted(paused.id);
      expect(resumed).toMatchObject({ state: 'healthy', succeeded: 1, successRate: 1, pending: 0 });
    });

    it('sorts disabled, then failing (longest first), then paused, then healthy, each by id', async () => {
      const healthyTarget = await ok();
      const failingTarget = await answering(503);
      // the failing ones fail by test pings alone: no channel event goes to them
      const healthy = await webhook(healthyTarget.url);
      const failingLater = await webhook(`http://127.0.0.1:${await closedPort()}/hook`, {
        event: 'channel_ended',
      });
      const paused = await webhook(healthyTarget.url);
      await t.request('PUT', `/v1/webhook/${paused.id}`, { body: { active: false } });
      const failingFirst = await webhook(failingTarget.url, { event: 'channel_ended' });
      const disabled = await webhook((await answering(410)).url, { event: 'channel_live' });
      const untried = await webhook(healthyTarget.url, { event: 'channel_ended' });

      await ping(healthy.id);
      await attempted(healthy.id);
      await ping(failingFirst.id);
      await attempted(failingFirst.id);
      await sleep(20);
      await ping(failingLater.id);
      await attempted(failingLater.id);
      const channel = await createChannel(t);
      await ingest(t, channel.streamKey, 'publish');
      await eventually(async () => (await summaryOf(disabled.id))?.state === 'disabled');

      const { webhooks } = await summary();
      expect(webhooks.map((entry) => [entry.id, entry.state])).toEqual([
        [disabled.id, 'disabled'],
        [failingFirst.id, 'failing'],
        [failingLater.id, 'failing'],
        [paused.id, 'paused'],
        [healthy.id, 'healthy'],
        [untried.id, 'healthy'],
      ]);
      const refused = webhooks.find((entry) => entry.id === failingLater.id);
      expect(refused).toMatchObject({ lastError: 'connection refused', lastStatusCode: null });
      // a test ping is one attempt: nothing is left to retry
      expect(refused).toMatchObject({ pending: 0, nextRetryAt: null });
      expect(Date.parse(refused.failingSince)).toBeGreaterThan(
        Date.parse(webhooks.find((entry) => entry.id === failingFirst.id).failingSince),
      );
      // healthy's channel_live delivery went out too
      expect(webhooks.find((entry) => entry.id === healthy.id)).toMatchObject({
        failingSince: null,
        lastError: null,
        lastStatusCode: 200,
      });
    });

    it('accepts the windows 1h, 24h (the default) and 7d, each in 24 buckets, and refuses any other', async () => {
      const hook = await webhook((await ok()).url);
      await ping(hook.id);
      await attempted(hook.id);
      for (const [query, window, hours] of [
        ['', '24h', 24],
        ['?window=1h', '1h', 1],
        ['?window=24h', '24h', 24],
        ['?window=7d', '7d', 168],
      ] as const) {
        const answer = await summary(query);
        expect(answer.window).toBe(window);
        const [entry] = answer.webhooks;
        expect(entry).toMatchObject({ attempts: 1, succeeded: 1, successRate: 1 });
        const starts = entry.buckets.map((bucket: any) => Date.parse(bucket.start));
        expect(starts).toHaveLength(24);
        expect(starts[1] - starts[0]).toBe((hours * 3_600_000) / 24);
        expect(Date.parse(answer.generatedAt) - starts[0]).toBe(hours * 3_600_000);
      }
      for (const bad of ['2h', '', '24H', '1h&window=7d']) {
        const response = await t.request('GET', `/v1/webhook-summary?window=${bad}`);
        expect(response.status, bad).toBe(400);
        expect(response.body).toEqual({
          statusCode: 400,
          message: ['window must be one of the following values: 1h, 24h, 7d'],
          error: 'Bad Request',
        });
      }
    });

    it('answers 20 webhooks in one call, with as many queries as for 2', async () => {
      const target = await ok();
      const reads = t.app.get(Reads);
      const spy = vi.spyOn(reads, 'query');
      /** The statements one summary sends (the webhook directory's version polls aside). */
      const statements = async () => {
        spy.mockClear();
        const answer = await summary();
        const sent = spy.mock.calls.filter(
          ([sql]) => /\b(webhook|delivery)\b/.test(sql) && !sql.includes('webhook_state'),
        ).length;
        return { answer, sent };
      };
      const first = [await webhook(target.url), await webhook(target.url)];
      for (const hook of first) await ping(hook.id);
      for (const hook of first) await attempted(hook.id);
      const few = await statements();
      expect(few.answer.webhooks).toHaveLength(2);

      const more = [];
      for (let i = 0; i < 18; i++) more.push(await webhook(target.url));
      for (const hook of more.slice(0, 8)) await ping(hook.id);
      for (const hook of more.slice(0, 8)) await attempted(hook.id);
      const many = await statements();
      spy.mockRestore();
      expect(many.answer.webhooks).toHaveLength(20);
      // the webhooks and their events (2), last attempts, open deliveries, the window's two
      expect(few.sent).toBe(6);
      expect(many.sent).toBe(6);
      expect(many.answer.webhooks.map((entry: any) => entry.id)).toEqual(
        [...first, ...more].map((hook) => hook.id),
      );
      expect(many.answer.webhooks.filter((entry: any) => entry.attempts === 1)).toHaveLength(10);
    });
  });

  describe('GET /v1/webhook/{webhookId}/deliveries: search and cursor', () => {
    const list = async (webhookId: string, query: string) => {
      const response = await t.request('GET', `/v1/webhook/${webhookId}/deliveries?${query}`);
      expect(response.status, response.text).toBe(200);
      return response.body as { data: any[]; total: number; nextCursor: string | null };
    };

    it('filters by status, event, channel, time and message id, and pages through by cursor', async () => {
      const target = await ok();
      const hook = await webhook(target.url);
      const first = await createChannel(t);
      const second = await createChannel(t);
      // one at a time, so the log's order is the order of these calls
      const logged = (count: number) =>
        eventually(async () => (await list(hook.id, 'length=100')).total === count);
      await ingest(t, first.streamKey, 'publish');
      await logged(1);
      await ingest(t, second.streamKey, 'publish');
      await logged(2);
      await ingest(t, first.streamKey, 'unpublish');
      await logged(3);
      await ping(hook.id);
      const all = await eventually(async () => {
        const page = await list(hook.id, 'length=100');
        return page.total === 4 && page.data.every((d) => d.status === 'succeeded')
          ? page
          : undefined;
      }, 15_000);
      expect(all.nextCursor).toBeNull();
      const [pinged, stopped, secondLive, firstLive] = all.data;
      expect([pinged.event, stopped.event, secondLive.event, firstLive.event]).toEqual([
        'ping',
        'channel_stop',
        'channel_live',
        'channel_live',
      ]);
      const ids = (page: { data: any[] }) => page.data.map((delivery) => delivery.id);

      expect(ids(await list(hook.id, 'event=channel_live'))).toEqual([secondLive.id, firstLive.id]);
      expect(ids(await list(hook.id, 'event=ping'))).toEqual([pinged.id]);
      expect(ids(await list(hook.id, `channelId=${first.id}`))).toEqual([stopped.id, firstLive.id]);
      expect(
        ids(await list(hook.id, `channelId=${first.id}&event=channel_live&status=succeeded`)),
      ).toEqual([firstLive.id]);
      expect((await list(hook.id, 'status=failed')).total).toBe(0);
      expect(ids(await list(hook.id, `messageId=${stopped.messageId}`))).toEqual([stopped.id]);
      expect((await list(hook.id, 'messageId=msg_unknown')).data).toEqual([]);
      const at = (delivery: any) => encodeURIComponent(delivery.createdAt);
      expect(ids(await list(hook.id, `since=${at(secondLive)}&until=${at(pinged)}`))).toEqual([
        stopped.id,
        secondLive.id,
      ]);
      expect(ids(await list(hook.id, `since=${at(pinged)}`))).toEqual([pinged.id]);

      // cursor paging: newest first, total counts every match whatever the cursor
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await list(hook.id, `length=3${cursor ? `&before=${cursor}` : ''}`);
        expect(page.total).toBe(4);
        seen.push(...ids(page));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(2);
      expect(seen).toEqual(ids(all));
      const filtered = await list(hook.id, 'event=channel_live&length=1');
      expect(filtered).toMatchObject({ total: 2, nextCursor: secondLive.id });
      expect(
        await list(hook.id, `event=channel_live&length=1&before=${filtered.nextCursor}`),
      ).toMatchObject({ total: 2, nextCursor: null, data: [{ id: firstLive.id }] });
    });

    it('refuses a bad filter with a 400 naming the field', async () => {
      const hook = await webhook((await ok()).url);
      const refusals: [string, string][] = [
        [
          'event=channel_gone',
          'event must be one of the following values: channel_live, channel_stop, channel_ended, ping',
        ],
        ['channelId=abc', 'channelId must be a channel id (digits)'],
        ['since=yesterday', 'since must be a valid ISO 8601 date string'],
        ['until=2026-13-01', 'until must be a valid ISO 8601 date string'],
        ['since=2026-11-27T10:00:00Z&until=2026-11-27T10:00:00Z', 'until must be later than since'],
        ['before=0', 'before must be an id (digits): the nextCursor of the previous page'],
        ['before=9x', 'before must be an id (digits): the nextCursor of the previous page'],
        [
          `messageId=${'m'.repeat(65)}`,
          'messageId must be a webhook-id: 1 to 64 visible ASCII characters',
        ],
        ['length=101', 'length must not be greater than 100'],
        ['status=done', 'status must be one of the following values: pending, succeeded, failed'],
      ];
      for (const [query, message] of refusals) {
        const response = await t.request('GET', `/v1/webhook/${hook.id}/deliveries?${query}`);
        expect(response.status, query).toBe(400);
        expect(response.body.message, query).toEqual([message]);
      }
    });
  });

  describe('GET /v1/webhook/{webhookId}/deliveries/{deliveryId}: the whole attempt', () => {
    it('shows the headers sent (custom values masked) and answered, and why the attempt failed', async () => {
      const target = await answering(500, { 'x-trace': 'abc-123', 'retry-after': '60' });
      const hook = await webhook(target.url, {
        headers: { Authorization: 'Bearer s3cret-value', 'X-Tenant': 'acme' },
      });
      const sent = await ping(hook.id);
      const delivery = await finished(hook.id, sent.id);
      const [attempt] = delivery.attempts;
      const [request] = target.received;
      expect(attempt.requestHeaders).toEqual({
        Authorization: '********',
        'X-Tenant': '********',
        'content-type': 'application/json',
        'user-agent': request.headers['user-agent'],
        'webhook-id': sent.messageId,
        'webhook-timestamp': request.headers['webhook-timestamp'],
        'webhook-signature': request.headers['webhook-signature'],
        // a test ping, marked as one
        'webhook-test': 'true',
      });
      expect(request.headers.authorization).toBe('Bearer s3cret-value');
      expect(attempt.responseHeaders).toMatchObject({
        'content-type': 'text/plain',
        'x-trace': 'abc-123',
        'retry-after': '60',
      });
      expect(attempt).toMatchObject({
        statusCode: 500,
        error: 'HTTP 500',
        responseBody: 'answered 500',
        errorDescription: 'The receiver answered 500 Internal Server Error',
      });
      // the secret values are not stored with the attempt either
      const [stored] = await t.app
        .get<DataSource>(DATA_SOURCE)
        .query<{ request_headers: string }[]>(
          'SELECT request_headers FROM delivery_attempt WHERE delivery_id = ?',
          [sent.id],
        );
      expect(stored.request_headers).not.toContain('s3cret');
      expect(stored.request_headers).not.toContain('acme');
      expect(stored.request_headers).not.toMatch(/\s/);
    });

    it('has no description on success, and no answer headers when nothing answered', async () => {
      const good = await webhook((await answering(204)).url);
      const delivered = await finished(good.id, (await ping(good.id)).id);
      expect(delivered.attempts[0]).toMatchObject({
        statusCode: 204,
        error: null,
        errorDescription: null,
        responseHeaders: expect.objectContaining({ 'content-type': 'text/plain' }),
      });

      const refused = await webhook(`http://127.0.0.1:${await closedPort()}/hook`);
      const failed = await finished(refused.id, (await ping(refused.id)).id);
      expect(failed.attempts[0]).toMatchObject({
        statusCode: null,
        error: 'connection refused',
        errorDescription: 'Connection refused',
        responseHeaders: null,
        requestHeaders: expect.objectContaining({ 'webhook-id': failed.messageId }),
      });
    });

    it('keeps at most the first 50 answer headers', async () => {
      const many = Object.fromEntries(
        Array.from({ length: 70 }, (_, i) => [`x-h${String(i).padStart(2, '0')}`, 'v']),
      );
      const hook = await webhook((await answering(200, many)).url);
      const delivered = await finished(hook.id, (await ping(hook.id)).id);
      const kept = Object.keys(delivered.attempts[0].responseHeaders);
      expect(kept).toHaveLength(50);
      expect(kept).toContain('x-h00');
      expect(kept).not.toContain('x-h69');
    });

    it('keeps answer headers to 8 KiB in all', async () => {
      const big = Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [`x-big${i}`, 'b'.repeat(1000)]),
      );
      const hook = await webhook((await answering(200, big)).url);
      const delivered = await finished(hook.id, (await ping(hook.id)).id);
      const kept = delivered.attempts[0].responseHeaders as Record<string, string>;
      const size = Object.entries(kept).reduce(
        (sum, [name, value]) => sum + name.length + value.length,
        0,
      );
      expect(size).toBeLessThanOrEqual(8 * 1024);
      // content-type, then 8 of the 1,006-character headers: a 9th would pass 8,192
      expect(Object.keys(kept).filter((name) => name.startsWith('x-big'))).toHaveLength(8);
    });
  });

  describe('GET /v1/channel/{channelId}/events', () => {
    it("lists a channel's events newest first with their deliveries, paged by cursor", async () => {
      const target = await ok();
      const hook = await webhook(target.url);
      const other = await webhook(target.url, { event: 'channel_live' });
      const channel = await createChannel(t);
      await ingest(t, channel.streamKey, 'publish');
      const live = (await t.request('GET', `/v1/channel/${channel.id}`)).body;
      await ingest(t, channel.streamKey, 'unpublish');
      const end = await t.request('POST', `/v1/channel/${channel.id}/end`);
      expect(end.status, end.text).toBe(200);
      const timeline = await eventually(async () => {
        const response = await t.request('GET', `/v1/channel/${channel.id}/events`);
        expect(response.status).toBe(200);
        const done = response.body.data.every(
          (event: any) =>
            event.deliveries.length > 0 &&
            event.deliveries.every((d: any) => d.status === 'succeeded'),
        );
        return done && response.body.data.length === 3 ? response.body : undefined;
      }, 15_000);
      expect(timeline.nextCursor).toBeNull();
      expect(timeline.data.map((event: any) => event.event)).toEqual([
        'channel_ended',
        'channel_stop',
        'channel_live',
      ]);
      const [ended, stopped, wentLive] = timeline.data;
      expect(wentLive).toMatchObject({
        sessionId: live.sessionId,
        eventTime: Date.parse(live.liveAt),
        at: expect.any(String),
      });
      expect(stopped.sessionId).toBe(live.sessionId);
      expect(Date.parse(ended.at)).toBeGreaterThanOrEqual(Date.parse(wentLive.at));
      expect(wentLive.deliveries.map((d: any) => d.webhookId)).toEqual([hook.id, other.id]);
      expect(stopped.deliveries.map((d: any) => d.webhookId)).toEqual([hook.id]);
      // each delivery is the one the webhook's log shows
      const logged = await t.request(
        'GET',
        `/v1/webhook/${hook.id}/deliveries/${stopped.deliveries[0].deliveryId}`,
      );
      expect(logged.body).toMatchObject({ event: 'channel_stop', channelId: channel.id });

      const firstPage = (await t.request('GET', `/v1/channel/${channel.id}/events?length=2`)).body;
      expect(firstPage.data.map((event: any) => event.id)).toEqual([ended.id, stopped.id]);
      expect(firstPage.nextCursor).toBe(stopped.id);
      const secondPage = (
        await t.request('GET', `/v1/channel/${channel.id}/events?length=2&before=${stopped.id}`)
      ).body;
      expect(secondPage).toEqual({ data: [wentLive], nextCursor: null });
    });

    it('answers an empty timeline for an id with no events, 404 for a path that is no id, 400 for a bad cursor', async () => {
      expect((await t.request('GET', '/v1/channel/987654321/events')).body).toEqual({
        data: [],
        nextCursor: null,
      });
      expect((await t.request('GET', '/v1/channel/abc/events')).status).toBe(404);
      for (const [query, message] of [
        ['before=abc', 'before must be an id (digits): the nextCursor of the previous page'],
        ['length=0', 'length must not be less than 1'],
        ['length=101', 'length must not be greater than 100'],
      ]) {
        const response = await t.request('GET', `/v1/channel/1/events?${query}`);
        expect(response.status, query).toBe(400);
        expect(response.body.message).toEqual([message]);
      }
    });
  });
});
