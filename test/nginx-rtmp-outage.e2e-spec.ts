import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpMetrics } from '../src/metrics/metrics.registry.js';
import { channelWithStatus, createChannel, eventually, sleep } from './helpers/channels.js';
import { createTestDatabase, databaseKinds } from './helpers/databases.js';
import { type Nginx, publish, startNginxRtmp, stop } from './helpers/nginx-rtmp.js';
import { type Receiver, startReceiver } from './helpers/receiver.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

/**
 * A live nginx-rtmp publisher while the database goes away: the service must never be the reason
 * nginx drops it, and a stop heard meanwhile is applied when the database is back. Needs MariaDB
 * (cut by a TCP proxy) and nginx-rtmp with ffmpeg: vitest.e2e.config.ts runs it when both
 * TEST_MYSQL_URL and TEST_NGINX_RTMP=1 are set.
 */
const TOKEN = 'rtmp-outage-token';
const CUT_MS = 15_000;
const UPDATE = '/v1/ingest/nginx-rtmp/update';
const PUBLISH_DONE = '/v1/ingest/nginx-rtmp/publish_done';

describe.each(databaseKinds().filter((kind) => kind === 'mysql'))(
  'nginx-rtmp and ffmpeg through database cuts (%s behind a TCP proxy)',
  (kind) => {
    let t: TestApp;
    let proxy: TcpProxy;
    let nginx: Nginx;
    let receiver: Receiver;

    /** The app's answers on one route so far, by status (read in-process: no database needed). */
    const answers = async (route: string): Promise<Record<string, number>> => {
      const counted: Record<string, number> = {};
      for (const { labels, value } of (await t.app.get(HttpMetrics).requests.get()).values) {
        if (labels.route === route) counted[String(labels.status)] = value;
      }
      return counted;
    };
    const channelOf = async (id: string) => {
      const answer = await t.request('GET', `/v1/channel/${id}`);
      return answer.status === 200 ? answer.body : undefined;
    };
    const events = (channelId: string) =>
      receiver.received
        .map((request) => request.json as { event: string; id: string; eventTime: number })
        .filter((body) => body.id === channelId);

    beforeAll(async () => {
      const database = await createTestDatabase(kind);
      const server = new URL(database.url);
      proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
      const proxied = new URL(database.url);
      proxied.port = String(proxy.port);
      t = await createTestApp(kind, { INGEST_TOKEN: TOKEN }, { ...database, url: proxied.href });
      receiver = await startReceiver();
      await createWebhook(t, { uri: receiver.url });
      // nginx-rtmp drops a publisher whose update gets anything but a 2xx, or no answer.
      nginx = await startNginxRtmp(t.baseUrl, TOKEN, '2s');
    });

    afterAll(async () => {
      proxy?.restore();
      await nginx?.close();
      await t?.close();
      await receiver?.close();
      await proxy?.close();
    });

    it('keeps a stream publishing through a 15 s cut, and applies its stop heard during a second cut', async () => {
      const created = await createChannel(t, { reconnectWindow: 600 });
      const ffmpeg = publish(nginx.rtmpPort, created.streamKey, 300);
      try {
        const live = await channelWithStatus(t, created.id, 'live', 20_000);
        await eventually(async () => (await answers(UPDATE))['200'] >= 1, 10_000);
        const updatesBefore = await answers(UPDATE);

        proxy.cut();
        await sleep(CUT_MS);
        // nginx sent its updates through the cut, and every one was answered 2xx
        const updatesDuring = await answers(UPDATE);
        expect(ffmpeg.child.exitCode).toBeNull();
        proxy.restore();

        expect(Object.keys(updatesDuring)).toEqual(['200']);
        expect(updatesDuring['200'] - updatesBefore['200']).toBeGreaterThanOrEqual(5);
        const after = await eventually(() => channelOf(created.id), 15_000);
        expect(after).toMatchObject({ status: 'live', sessionId: live.sessionId });
        // still publishing: nginx keeps sending updates for it, and ffmpeg has not exited
        await eventually(async () => (await answers(UPDATE))['200'] >= updatesDuring['200'] + 2);
        expect(ffmpeg.child.exitCode).toBeNull();
        expect(nginx.log()).not.toMatch(/notify: update failed|drop publisher/i);

        // The publisher leaves while the database is away again: the stop is answered 2xx, kept,
        // and applied, as of when it was heard, once the database is back.
        const doneBefore = (await answers(PUBLISH_DONE))['200'] ?? 0;
        proxy.cut();
        const leftAt = Date.now();
        await stop(ffmpeg);
        await eventually(async () => (await answers(PUBLISH_DONE))['200'] === doneBefore + 1);
        const answeredAt = Date.now();
        expect(Object.keys(await answers(PUBLISH_DONE))).toEqual(['200']);
        await sleep(2_000);
        proxy.restore();

        const stopped = await channelWithStatus(t, created.id, 'stopped');
        expect(stopped.sessionId).toBe(live.sessionId);
        expect(Date.parse(stopped.stoppedAt)).toBeGreaterThanOrEqual(leftAt);
        expect(Date.parse(stopped.stoppedAt)).toBeLessThanOrEqual(answeredAt);
        await eventually(async () => events(created.id).length >= 2, 15_000);
        expect(events(created.id).map((event) => event.event)).toEqual([
          'channel_live',
          'channel_stop',
        ]);
        expect(events(created.id)[1].eventTime).toBe(Date.parse(stopped.stoppedAt));

        // and the publisher comes back: the same session goes on
        const again = publish(nginx.rtmpPort, created.streamKey, 300);
        try {
          const back = await channelWithStatus(t, created.id, 'live', 20_000);
          expect(back.sessionId).toBe(live.sessionId);
        } finally {
          await stop(again);
        }
      } finally {
        proxy.restore();
        await stop(ffmpeg);
      }
    }, 120_000);
  },
);
