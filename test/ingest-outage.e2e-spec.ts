import { createConnection } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { outageWarnings, spawnAppBehindProxy } from './helpers/app-behind-proxy.js';
import { databaseKinds } from './helpers/databases.js';
import { startReceiver } from './helpers/receiver.js';
import { exitWithin, logLinesAtOrAbove } from './helpers/spawn-app.js';
import { createWebhook } from './helpers/webhooks.js';

const KEY = 'ingest-outage-key';
const TOKEN = 'ingest-outage-token';

// The database is cut by a TCP proxy in front of the shared MariaDB server (MySQL only).
describe.each(databaseKinds().filter((kind) => kind === 'mysql'))(
  'ingest hooks while the %s database is away (the generic route)',
  (kind) => {
    const cleanup = stepsAfterAll();

    it('answers updates and stops 2xx, refuses publishes 503, and applies what it kept in order when the database is back', async () => {
      const receiver = await startReceiver();
      cleanup.push(() => receiver.close());
      const behind = await spawnAppBehindProxy(kind, cleanup, {
        API_KEYS: KEY,
        INGEST_TOKEN: TOKEN,
        INGEST_STALE_AFTER: '1h',
      });
      const { database, proxy, app } = behind;
      const { service } = behind;
      const api = (method: string, path: string) => service.request(method, path);
      const hook = async (streamKey: string, action: 'publish' | 'unpublish' | 'update') => {
        const answer = await ingest(service, streamKey, action, TOKEN);
        return { status: answer.status, body: answer.body as Record<string, unknown> };
      };

      await createWebhook(service, { uri: receiver.url });
      const leaving = await createChannel(service, { name: 'leaving', reconnectWindow: 600 });
      const staying = await createChannel(service, { name: 'staying' });
      const idle = await createChannel(service, { name: 'idle' });
      expect((await hook(leaving.streamKey, 'publish')).status).toBe(200);
      expect((await hook(staying.streamKey, 'publish')).status).toBe(200);
      await eventually(async () => receiver.received.length >= 2);
      const live = (await api('GET', `/v1/channel/${leaving.id}`)).body;
      const before = logLinesAtOrAbove(app.output(), 40).length;

      proxy.cut();
      // The first failure tells the service the database is away.
      await eventually(async () => (await api('GET', '/v1/channel')).status === 503);

      const updatedAt = Date.now();
      expect(await hook(staying.streamKey, 'update')).toEqual({
        status: 200,
        body: { outcome: 'pending' },
      });
      const stopFrom = Date.now();
      expect(await hook(leaving.streamKey, 'unpublish')).toEqual({
        status: 200,
        body: { outcome: 'pending' },
      });
      const stopTo = Date.now();
      // updates of the key after its stop wait behind it; publishes wait for the database
      expect((await hook(leaving.streamKey, 'update')).status).toBe(200);
      expect((await hook(leaving.streamKey, 'publish')).status).toBe(503);
      expect((await hook(idle.streamKey, 'publish')).status).toBe(503);
      await sleep(3_000);
      // still kept: nothing recorded yet
      expect(receiver.received).toHaveLength(2);

      proxy.restore();
      // The publisher comes back: its stop, heard first, is applied first.
      const tries: number[] = [];
      const back = await eventually(async () => {
        const answer = await hook(leaving.streamKey, 'publish');
        tries.push(answer.status);
        return answer.status === 200 ? answer : undefined;
      }, 20_000);
      expect(back.body).toEqual({ outcome: 'live' });
      // never "already live": the stop was applied before it
      expect(tries.filter((status) => status !== 503 && status !== 200)).toEqual([]);
      await eventually(async () => receiver.received.length >= 4, 15_000);
      await sleep(1_000); // anything more would show by now
      const sent = receiver.received.map(
        (request) => request.json as { event: string; id: string; eventTime: number },
      );
      expect(sent.slice(2).map((body) => [body.event, body.id])).toEqual([
        ['channel_stop', leaving.id],
        ['channel_live', leaving.id],
      ]);
      expect(sent[2].eventTime).toBeGreaterThanOrEqual(stopFrom);
      expect(sent[2].eventTime).toBeLessThanOrEqual(stopTo);
      expect((await api('GET', `/v1/channel/${leaving.id}`)).body).toMatchObject({
        status: 'live',
        sessionId: live.sessionId,
        stoppedAt: new Date(sent[2].eventTime).toISOString(),
      });
      expect((await api('GET', `/v1/channel/${staying.id}`)).body.status).toBe('live');
      expect((await api('GET', `/v1/channel/${idle.id}`)).body.status).toBe('idle');

      // The update heard during the cut was recorded as of when it was heard.
      const connection = await createConnection({ uri: database.url, dateStrings: true });
      try {
        const [rows] = await connection.query<any[]>(
          'SELECT last_seen_at AS lastSeenAt FROM channel WHERE id = ?',
          [staying.id],
        );
        const lastSeen = new Date(`${String(rows[0].lastSeenAt).replace(' ', 'T')}Z`).getTime();
        expect(lastSeen).toBeGreaterThanOrEqual(updatedAt - 1);
        expect(lastSeen).toBeLessThan(stopFrom + 1);
      } finally {
        await connection.end();
      }

      // A warning each way for the database and for the stops kept; nothing at error.
      const lines = logLinesAtOrAbove(app.output(), 40).slice(before);
      expect(lines.map((line) => line.msg)).toEqual(outageWarnings(3));

      app.kill('SIGTERM');
      expect(await exitWithin(app)).toBe(0);
    }, 120_000);
  },
);
