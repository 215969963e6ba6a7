import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/channels.js';
import { createTestDatabase, type TestDatabase } from './helpers/databases.js';
import { type Receiver, startReceiver } from './helpers/receiver.js';
import { freePort, type SpawnedApp, spawnApp, waitForHttp } from './helpers/spawn-app.js';

/** The built service's own output: JSON lines through nestjs-pino, as an operator reads them. */
describe('logs', () => {
  let app: SpawnedApp | undefined;
  let database: TestDatabase | undefined;
  let receiver: Receiver | undefined;
  afterAll(async () => {
    app?.kill('SIGTERM');
    await app?.exited;
    await receiver?.close();
    await database?.drop();
  });

  it('writes one JSON line per request (its id answered in x-request-id) and per delivery attempt, without credentials', async () => {
    database = await createTestDatabase('sqlite');
    receiver = await startReceiver(() => ({ status: 503 }));
    const port = await freePort();
    const token = 'log-ingest-token';
    app = spawnApp({
      PORT: String(port),
      DATABASE_URL: database.url,
      API_KEYS: 'log-api-key',
      INGEST_TOKEN: token,
      DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
      DELIVERY_RETRY_SCHEDULE: '1h',
      LOG_LEVEL: 'info',
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/health/live`, app);
    const headers = { authorization: 'Bearer log-api-key', 'content-type': 'application/json' };
    const receiverCredential = 'Bearer log-receiver-credential';
    const created = await fetch(`${base}/v1/webhook`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        uri: receiver.url,
        event: 'all',
        headers: { Authorization: receiverCredential },
      }),
    });
    const webhook = (await created.json()) as { id: string; secret: string };
    const requestId = created.headers.get('x-request-id');
    const ping = (await (
      await fetch(`${base}/v1/webhook/${webhook.id}/test`, {
        method: 'POST',
        headers: { authorization: headers.authorization },
      })
    ).json()) as {
      id: string;
    };
    const refused = await fetch(`${base}/v1/ingest/events?token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ streamKey: 'nope', action: 'publish' }),
    });
    await refused.text();

    const lines = await eventually(async () => {
      const parsed = app!
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return parsed.some((line) => line.msg === 'delivery attempt') ? parsed : undefined;
    });
    const request = lines.find(
      (line) => line.msg === 'request completed' && line.reqId === requestId,
    );
    expect(request).toMatchObject({ method: 'POST', route: '/v1/webhook', status: 201, level: 30 });
    expect(request?.responseTimeMs).toEqual(expect.any(Number));
    const attempt = lines.find((line) => line.msg === 'delivery attempt');
    expect(attempt).toMatchObject({
      webhookId: webhook.id,
      deliveryId: ping.id,
      event: 'ping',
      attempt: 1,
      status: 503,
      outcome: 'dead',
      durationMs: expect.any(Number),
    });
    const ingestLine = lines.find((line) => line.route === '/v1/ingest/events');
    expect(ingestLine?.url).toBe('/v1/ingest/events?token=[redacted]');
    const output = app.output();
    expect(receiver.received[0]?.headers.authorization).toBe(receiverCredential);
    for (const secret of [token, 'log-api-key', webhook.secret, receiverCredential])
      expect(output).not.toContain(secret);
  });
});
