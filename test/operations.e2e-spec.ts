import { afterAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { createTestDatabase, databaseKinds } from './helpers/databases.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { startStatementLog } from './helpers/statement-log.js';
import { createTestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

const get = (base: string, path: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { headers }).then(async (response) => ({
    status: response.status,
    headers: response.headers,
    text: await response.text(),
  }));

describe.each(databaseKinds())('operations on %s', (kind) => {
  const receivers: Receiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  it('answers liveness and readiness without a key, naming every check', async () => {
    const t = await createTestApp(kind);
    try {
      const live = await get(t.baseUrl, '/health/live');
      expect(live.status).toBe(200);
      expect(JSON.parse(live.text)).toEqual({ status: 'ok' });
      const ready = await get(t.baseUrl, '/health/ready');
      expect(ready.status).toBe(200);
      const body = JSON.parse(ready.text);
      expect(body.status).toBe('ok');
      expect(Object.keys(body.details).sort()).toEqual([
        'backlog',
        'database',
        'migrations',
        'worker',
      ]);
    } finally {
      await t.close();
    }
  });

  it('is not ready, naming the check, when migrations are pending', async () => {
    const t = await createTestApp(kind, { DB_MIGRATE_ON_START: 'false' });
    try {
      const ready = await get(t.baseUrl, '/health/ready');
      expect(ready.status).toBe(503);
      const body = JSON.parse(ready.text);
      expect(body.error.migrations).toMatchObject({ status: 'down' });
      expect(body.details.database).toMatchObject({ status: 'up' });
    } finally {
      await t.close();
    }
  });

  it('is not ready when the oldest due delivery is older than HEALTH_MAX_DUE_AGE, and not while draining', async () => {
    const receiver = await startReceiver(() => ({ hang: true }));
    receivers.push(receiver);
    const t = await createTestApp(kind, { HEALTH_MAX_DUE_AGE: '300ms', DELIVERY_TIMEOUT: '3s' });
    const closing: Promise<void>[] = [];
    try {
      const webhook = await createWebhook(t, { uri: receiver.url });
      await t.request('POST', `/v1/webhook/${webhook.id}/test`);
      await eventually(async () => receiver.received.length >= 1);
      const stale = await eventually(async () => {
        const ready = await get(t.baseUrl, '/health/ready');
        return ready.status === 503 ? JSON.parse(ready.text) : undefined;
      });
      expect(stale.error.backlog.status).toBe('down');
      expect(stale.error.backlog.message).toMatch(/oldest due delivery has waited/);

      // SIGTERM's path: the worker drains its attempt in flight while the instance still answers
      closing.push(t.close());
      const draining = await eventually(async () => {
        const ready = await get(t.baseUrl, '/health/ready').catch(() => undefined);
        return ready?.status === 503 && JSON.parse(ready.text).error.worker
          ? JSON.parse(ready.text)
          : undefined;
      });
      expect(draining.error.worker).toMatchObject({ status: 'down', message: 'draining' });
    } finally {
      await receiver.close();
      await Promise.all(closing.length ? closing : [t.close()]);
    }
  });

  it('exposes Prometheus metrics: requests, deliveries, attempts, backlog, events, channels, process', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const t = await createTestApp(kind);
    try {
      await createWebhook(t, { uri: receiver.url });
      const channel = await createChannel(t);
      await ingest(t, channel.streamKey, 'publish');
      await eventually(async () => receiver.received.length >= 1);
      const text = await eventually(async () => {
        const scraped = (await get(t.baseUrl, '/metrics')).text;
        return scraped.includes('deliveries_total{event="channel_live",outcome="succeeded"} 1')
          ? scraped
          : undefined;
      });
      expect(text).toMatch(
        /^http_requests_total\{method="POST",route="\/v1\/webhook",status="201"\} 1$/m,
      );
      expect(text).toMatch(
        /^http_request_duration_seconds_count\{method="GET",route="\/v1\/channel\/:channelId"\}|^http_request_duration_seconds_bucket/m,
      );
      expect(text).toMatch(/^delivery_attempt_duration_seconds_count 1$/m);
      expect(text).toMatch(/^deliveries_pending 0$/m);
      expect(text).toMatch(/^deliveries_due 0$/m);
      expect(text).toMatch(/^deliveries_oldest_due_age_seconds 0$/m);
      expect(text).toMatch(/^channel_events_total\{event="channel_live"\} 1$/m);
      expect(text).toMatch(/^channels\{status="live"\} 1$/m);
      expect(text).toMatch(/^process_cpu_seconds_total /m);
      expect(text).not.toContain(channel.streamKey);
    } finally {
      await t.close();
    }
  });

  it('answers readiness and metrics from counts made at most once a second, that follow the data', async () => {
    const database = await createTestDatabase(kind);
    const log = await startStatementLog(database);
    const t = await createTestApp(kind, log.env, database);
    log.attach(t);
    // The backlog (two counts) and the channels by status (one): what each reading sends.
    const counts = () => log.statements.filter((statement) => /COUNT\(/i.test(statement));
    const PER_READING = 3;
    try {
      expect((await get(t.baseUrl, '/health/ready')).status).toBe(200);
      expect((await get(t.baseUrl, '/metrics')).status).toBe(200);
      expect(counts().length).toBeGreaterThanOrEqual(PER_READING);

      // 10 rounds of 20 probes and 20 scrapes at once: 400 calls
      const before = counts().length;
      const started = performance.now();
      for (let round = 0; round < 10; round++) {
        const answers = await Promise.all(
          Array.from({ length: 20 }, () => [
            get(t.baseUrl, '/health/ready'),
            get(t.baseUrl, '/metrics'),
          ]).flat(),
        );
        expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
      }
      const seconds = (performance.now() - started) / 1000;
      const sent = counts().slice(before);
      // At most one reading a second, plus one begun before the burst and one at its end.
      const readings = Math.ceil(seconds) + 2;
      expect(
        sent.length,
        `${sent.length} counts in ${seconds.toFixed(1)} s:\n${sent.join('\n')}`,
      ).toBeLessThanOrEqual(PER_READING * readings);
      console.log(
        `probes (${kind}): 400 calls in ${seconds.toFixed(1)} s sent ${sent.length} count statements`,
      );

      // What they answer follows the data within about a second.
      const channel = await createChannel(t);
      await ingest(t, channel.streamKey, 'publish');
      await eventually(async () =>
        /^channels\{status="live"\} 1$/m.test((await get(t.baseUrl, '/metrics')).text),
      );
      // a receiver that refuses: its delivery stays open, retrying
      const receiver = await startReceiver(() => ({ status: 503 }));
      receivers.push(receiver);
      await createWebhook(t, { uri: receiver.url });
      await ingest(t, channel.streamKey, 'unpublish');
      await eventually(async () => {
        const ready = JSON.parse((await get(t.baseUrl, '/health/ready')).text);
        return ready.details.backlog.pending >= 1;
      });
      await eventually(async () =>
        /^deliveries_pending [1-9]/m.test((await get(t.baseUrl, '/metrics')).text),
      );

      if (log.proxy) {
        // The database away: readiness says so within about a second, whatever it answered last.
        log.proxy.cut();
        const down = await eventually(async () => {
          const ready = await get(t.baseUrl, '/health/ready');
          return ready.status === 503 ? JSON.parse(ready.text) : undefined;
        });
        expect(down.error.database).toMatchObject({ status: 'down' });
        log.proxy.restore();
        await eventually(async () => (await get(t.baseUrl, '/health/ready')).status === 200);
      }
    } finally {
      await t.close();
      await log.close();
    }
  });

  it('protects /metrics with METRICS_TOKEN when it is set', async () => {
    const t = await createTestApp(kind, { METRICS_TOKEN: 'scrape-me' });
    try {
      expect((await get(t.baseUrl, '/metrics')).status).toBe(401);
      expect((await get(t.baseUrl, '/metrics', { authorization: 'Bearer nope' })).status).toBe(401);
      const scraped = await get(t.baseUrl, '/metrics', { authorization: 'Bearer scrape-me' });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    } finally {
      await t.close();
    }
  });

  it('echoes a request id in x-request-id, keeping the caller’s own', async () => {
    const t = await createTestApp(kind);
    try {
      const generated = await get(t.baseUrl, '/health/live');
      expect(generated.headers.get('x-request-id')).toMatch(/^[\w.:-]{8,}$/);
      const given = await get(t.baseUrl, '/health/live', { 'x-request-id': 'trace-abc-123' });
      expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
    } finally {
      await t.close();
    }
  });
});
