import { describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createTestDatabase, databaseKinds } from './helpers/databases.js';
import { httpApi } from './helpers/http-api.js';
import { type CollectedSpan, startOtlpCollector } from './helpers/otlp-collector.js';
import { startReceiver } from './helpers/receiver.js';
import { freePort, startApp, stopStep } from './helpers/spawn-app.js';
import { createWebhook } from './helpers/webhooks.js';

const KEY = 'tracing-key';
const TOKEN = 'tracing-token';
/** W3C traceparent: version, trace id, parent (span) id, flags. */
const TRACE_PARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe.each(databaseKinds())('OpenTelemetry traces on %s', (kind) => {
  const cleanup = stepsAfterAll();

  it('exports one event whole: hook → transition → fan-out, and each attempt on two webhooks, whose traceparent it sends, a retry on another instance too', async () => {
    const collector = await startOtlpCollector();
    cleanup.push(() => collector.close());
    // the second webhook's first attempt fails: its retry goes out from a later instance
    const receivers = [
      await startReceiver(),
      await startReceiver((request) => ({ status: request.index === 0 ? 500 : 200 })),
    ];
    for (const receiver of receivers) cleanup.push(() => receiver.close());
    const database = await createTestDatabase(kind);
    cleanup.push(() => database.drop());
    const port = await freePort();
    const env = {
      API_KEYS: KEY,
      INGEST_TOKEN: TOKEN,
      DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
      DELIVERY_RETRY_SCHEDULE: '2s,2s',
      DELIVERY_RETRY_JITTER: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      OTEL_SERVICE_NAME: 'webhooks-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    const first = await startApp(database.url, port, env);
    cleanup.push(stopStep(first));
    const service = httpApi(`http://127.0.0.1:${port}`, KEY);
    const webhooks = [
      await createWebhook(service, { uri: receivers[0].url }),
      await createWebhook(service, { uri: receivers[1].url }),
    ];
    const channel = await createChannel(service, { name: 'traced' });

    expect((await ingest(service, channel.streamKey, 'publish', TOKEN)).status).toBe(200);
    await eventually(async () => receivers.every((receiver) => receiver.received.length === 1));
    const sent = receivers.map((receiver) => String(receiver.received[0].headers.traceparent));
    for (const header of sent) expect(header).toMatch(TRACE_PARENT);
    const traceId = TRACE_PARENT.exec(sent[0])![1];
    expect(TRACE_PARENT.exec(sent[1])![1]).toBe(traceId);

    // Every span of the trace arrives (the delivery thread exports its own).
    const ofTrace = () => collector.spans.filter((span) => span.traceId === traceId);
    await eventually(async () => ofTrace().length >= 5, 15_000);
    // Another instance, whose memory holds nothing of the event, sends the retry.
    first.kill('SIGTERM');
    await first.exited;
    const second = await startApp(database.url, port, env);
    cleanup.push(stopStep(second));
    await eventually(async () => receivers[1].received.length === 2, 15_000);
    const retried = String(receivers[1].received[1].headers.traceparent);
    expect(TRACE_PARENT.exec(retried)?.[1]).toBe(traceId);
    await eventually(async () => ofTrace().length >= 6, 15_000);
    const spans = ofTrace();
    expect(collector.paths.every((path) => path === '/v1/traces')).toBe(true);
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['webhooks-under-test']));
    const named = (name: string) => spans.filter((span) => span.name === name);
    const childrenOf = (parent: CollectedSpan) =>
      spans.filter((span) => span.parentSpanId === parent.spanId);

    const [hook] = named('POST /v1/ingest/events');
    expect(hook.parentSpanId ?? '').toBe('');
    expect(hook.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/ingest/events',
      'http.response.status_code': 200,
    });
    const [transition] = childrenOf(hook);
    expect(transition).toMatchObject({
      name: 'channel.transition',
      attributes: {
        'channel_webhooks.hook': 'publish',
        'channel_webhooks.outcome': 'live',
        'channel_webhooks.channel_id': channel.id,
        'channel_webhooks.events': ['channel_live'],
      },
    });
    const under = childrenOf(transition);
    const [fanOut] = under.filter((span) => span.name === 'delivery.fan_out');
    expect(fanOut.attributes).toMatchObject({
      'channel_webhooks.event': 'channel_live',
      'channel_webhooks.channel_id': channel.id,
      'channel_webhooks.deliveries': 2,
    });
    const attempts = under.filter((span) => span.name === 'delivery.attempt');
    expect(attempts.map((span) => span.attributes['channel_webhooks.webhook_id']).sort()).toEqual(
      [webhooks[0].id, webhooks[1].id, webhooks[1].id].sort(),
    );
    const byWebhook = (webhook: { id: string }) =>
      attempts.filter((span) => span.attributes['channel_webhooks.webhook_id'] === webhook.id);
    expect(byWebhook(webhooks[0]).map((span) => span.attributes)).toEqual([
      expect.objectContaining({ 'channel_webhooks.attempt': 1, 'http.response.status_code': 200 }),
    ]);
    // the failed attempt's span is marked failed (OTLP status code 2: error)
    expect(
      byWebhook(webhooks[1]).map((span) => [
        span.attributes['channel_webhooks.attempt'],
        span.attributes['http.response.status_code'],
        span.status?.code ?? 0,
      ]),
    ).toEqual([
      [1, 500, 2],
      [2, 200, 0],
    ]);
    for (const attempt of attempts) {
      expect(attempt.attributes['channel_webhooks.event']).toBe('channel_live');
      expect(attempt.attributes['channel_webhooks.duration_ms']).toBeGreaterThanOrEqual(0);
      // the receiver was told the attempt's own span
      expect([...sent, retried].map((header) => TRACE_PARENT.exec(header)![2])).toContain(
        attempt.spanId,
      );
    }
    expect(spans).toHaveLength(6);
  }, 60_000);

  it('without OTEL_EXPORTER_OTLP_ENDPOINT sends no traceparent', async () => {
    const receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const database = await createTestDatabase(kind);
    cleanup.push(() => database.drop());
    const port = await freePort();
    const app = await startApp(database.url, port, {
      API_KEYS: KEY,
      INGEST_TOKEN: TOKEN,
      DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    });
    cleanup.push(stopStep(app));
    const service = httpApi(`http://127.0.0.1:${port}`, KEY);
    await createWebhook(service, { uri: receiver.url });
    const channel = await createChannel(service, { name: 'untraced' });
    expect((await ingest(service, channel.streamKey, 'publish', TOKEN)).status).toBe(200);
    await eventually(async () => receiver.received.length === 1);
    expect(receiver.received[0].headers.traceparent).toBeUndefined();
  }, 60_000);
});
