import { createConnection } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { outageWarnings, spawnAppBehindProxy } from './helpers/app-behind-proxy.js';
import { databaseKinds } from './helpers/databases.js';
import { startReceiver } from './helpers/receiver.js';
import { exitWithin, logLinesAtOrAbove } from './helpers/spawn-app.js';
import { createWebhook } from './helpers/webhooks.js';

const KEY = 'outage-test-key';
const TOKEN = 'outage-ingest-token';
const CHANNELS = 200;
const WEBHOOKS = 2;
const OUTAGE_MS = 10_000;

// The outage is made by a TCP proxy between the service and the shared MariaDB server, which keeps
// running for the other suites.
describe.each(databaseKinds().filter((kind) => kind === 'mysql'))(
  'the %s database away for 10 s',
  (kind) => {
    const cleanup = stepsAfterAll();

    it('pauses the service: 503 with Retry-After meanwhile, then every callback once and the stops heard meanwhile, the attempt log complete, a warning each way', async () => {
      // Slow enough answers that the outage begins with attempts in flight and more queued.
      const receiver = await startReceiver(() => ({ delayMs: 200 }));
      cleanup.push(() => receiver.close());
      const { database, proxy, app, service } = await spawnAppBehindProxy(kind, cleanup, {
        API_KEYS: KEY,
        INGEST_TOKEN: TOKEN,
      });

      for (let i = 0; i < WEBHOOKS; i++) {
        await createWebhook(service, { uri: receiver.url });
      }
      const channels: { id: string; streamKey: string }[] = [];
      for (let i = 0; i < CHANNELS; i++) {
        channels.push(await createChannel(service, { name: `c${i}` }));
      }
      let expected = CHANNELS * WEBHOOKS;
      for (let i = 0; i < CHANNELS; i += 20) {
        const answers = await Promise.all(
          channels
            .slice(i, i + 20)
            .map((channel) => ingest(service, channel.streamKey, 'publish', TOKEN)),
        );
        expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
      }
      const before = logLinesAtOrAbove(app.output(), 40).length;
      await eventually(async () => receiver.received.length >= 40, 20_000, 10);

      proxy.cut();
      const cutAt = Date.now();
      await sleep(500);
      const sentAtCut = receiver.received.length;
      expect(sentAtCut).toBeLessThan(expected);

      // While it lasts: the API and every ingest hook answer 503 with Retry-After.
      const read = await service.request('GET', '/v1/webhook/1');
      expect(read.status).toBe(503);
      expect(read.headers.get('retry-after')).toBe('5');
      expect(read.body).toEqual({
        statusCode: 503,
        message: 'The database is unreachable; try again shortly',
        error: 'Service Unavailable',
      });
      expect(
        (await service.request('POST', '/v1/channel', { body: { name: 'during' } })).status,
      ).toBe(503);
      // A publish waits for the database; a stop is kept and applied when it is back.
      const publish = await ingest(service, channels[1].streamKey, 'publish', TOKEN);
      expect(publish.status).toBe(503);
      expect(publish.headers.get('retry-after')).toBe('5');
      const srsPublish = await fetch(`${service.base}/v1/ingest/srs?token=${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'on_publish', stream: channels[1].streamKey }),
      });
      expect(srsPublish.status).toBe(503);
      expect(await srsPublish.json()).toMatchObject({ code: 503, statusCode: 503 });
      const generic = await ingest(service, channels[0].streamKey, 'unpublish', TOKEN);
      expect(generic.status).toBe(200);
      const nginx = await fetch(
        `${service.base}/v1/ingest/nginx-rtmp/publish_done?token=${TOKEN}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `call=publish_done&name=${channels[0].streamKey}`,
        },
      );
      expect(nginx.status).toBe(200);
      const srs = await fetch(`${service.base}/v1/ingest/srs?token=${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'on_unpublish', stream: channels[0].streamKey }),
      });
      expect(srs.status).toBe(200);
      expect(await srs.json()).toEqual({ code: 0 });
      // Readiness names the failed check, without addresses or the driver's words.
      const ready = await fetch(`${service.base}/health/ready`);
      expect(ready.status).toBe(503);
      const report = await ready.text();
      expect(JSON.parse(report).error.database).toMatchObject({
        status: 'down',
        message: 'database unreachable',
      });
      expect(report).not.toMatch(/127\.0\.0\.1|ECONN|PROTOCOL|3306/);

      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - cutAt)));
      proxy.restore();
      const restoredAt = Date.now();
      // … and the stop kept meanwhile: one channel_stop per webhook more
      expected += WEBHOOKS;
      await eventually(async () => receiver.received.length >= expected, 30_000, 20);
      const allInMs = receiver.received[receiver.received.length - 1].at - restoredAt;
      const resumedInMs =
        receiver.received.find((request) => request.at >= restoredAt)!.at - restoredAt;
      await sleep(2_000); // anything sent twice would show by now

      // Every callback exactly once: the receiver answered 200 to each, so a repeat is a duplicate.
      const ids = receiver.received.map((request) => String(request.headers['webhook-id']));
      expect(new Set(ids).size).toBe(expected);
      expect(receiver.received).toHaveLength(expected);
      // The attempt log is complete: one recorded attempt per callback, every delivery succeeded.
      const connection = await createConnection(database.url);
      try {
        const [deliveries] = await connection.query(
          "SELECT status, COUNT(*) AS n, SUM(attempts) AS attempts FROM delivery WHERE event <> 'ping' GROUP BY status",
        );
        expect(deliveries).toEqual([
          { status: 'succeeded', n: expected, attempts: String(expected) },
        ]);
        const [attempts] = await connection.query('SELECT COUNT(*) AS n FROM delivery_attempt');
        expect(attempts).toEqual([{ n: expected }]);
      } finally {
        await connection.end();
      }
      // A warning each way for the database and for the stops kept; nothing at error.
      const lines = logLinesAtOrAbove(app.output(), 40).slice(before);
      expect(lines.map((line) => line.msg)).toEqual(outageWarnings(3));
      console.log(
        `outage: ${sentAtCut}/${expected} callbacks before the cut; the first after it ${resumedInMs} ms and all ${allInMs} ms after the database returned`,
      );

      app.kill('SIGTERM');
      expect(await exitWithin(app)).toBe(0);
    }, 120_000);
  },
);
