import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, sleep, storedEvents } from './helpers/channels.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './helpers/databases.js';
import { type Nginx, publish, type Run, startNginx, stop } from './helpers/nginx-rtmp.js';
import { apiOf, channelEvents, freePort, startApp, stopStep } from './helpers/spawn-app.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { DATA_SOURCE } from '../src/database/data-source.token.js';

/**
 * Takeover, a second publisher and a restart, with a real nginx-rtmp and real ffmpeg publishers.
 * Runs when TEST_NGINX_RTMP=1 (vitest.e2e.config.ts leaves it out otherwise).
 */
const TOKEN = 'rtmp-takeover-token';

/** nginx-rtmp's hooks for one application, against the service at `base`. */
function application(name: string, base: string, updateEvery: string, publishDone?: string) {
  const hook = `${base}/v1/ingest/nginx-rtmp`;
  return `    application ${name} {
      live on;
      on_publish ${hook}/publish?token=${TOKEN};
      on_publish_done ${publishDone ?? `${hook}/publish_done?token=${TOKEN}`};
      on_update ${hook}/update?token=${TOKEN};
      notify_update_timeout ${updateEvery};
    }`;
}

const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0;

describe.each(databaseKinds())('nginx-rtmp takeover and a second publisher on %s', (kind) => {
  let t: TestApp;
  let nginx: Nginx;
  const publishers: Run[] = [];

  beforeAll(async () => {
    t = await createTestApp(kind, { INGEST_TOKEN: TOKEN });
    // "lost": its publish_done goes to a port nothing listens on, so every stop is lost.
    const nowhere = `http://127.0.0.1:${await freePort()}/gone`;
    nginx = await startNginx(
      [application('live', t.baseUrl, '1s'), application('lost', t.baseUrl, '1s', nowhere)].join(
        '\n',
      ),
    );
  });
  afterAll(async () => {
    for (const publisher of publishers) await stop(publisher);
    await nginx?.close();
    await t?.close();
  });

  const start = (streamKey: string, seconds: number, app: string) => {
    const publisher = publish(nginx.rtmpPort, streamKey, seconds, app);
    publishers.push(publisher);
    return publisher;
  };
  const status = async (id: string) =>
    (await t.request('GET', `/v1/channel/${id}`)).body.status as string;
  const heartbeat = async (id: string) => {
    const [row] = await t.app
      .get<DataSource>(DATA_SOURCE)
      .query<{ heartbeat: number | null }[]>(
        'SELECT heartbeat_ms AS heartbeat FROM channel WHERE id = ?',
        [id],
      );
    return row.heartbeat;
  };

  it('lets a publisher reconnecting after a lost publish_done in: the old session stops as of its last update, and goes on', async () => {
    const created = await createChannel(t, { reconnectWindow: 600 });
    const first = start(created.streamKey, 4, 'lost');
    await eventually(async () => (await status(created.id)) === 'live', 15_000);
    const live = (await t.request('GET', `/v1/channel/${created.id}`)).body;
    expect(await first.exited).toBe(0);
    const gone = Date.now();
    // Its publish_done was lost: the service still believes it live.
    expect(await status(created.id)).toBe('live');
    expect(nginx.log()).toMatch(/notify: publish_done '[^']*\/gone'/);

    // ffmpeg reconnects on the same key, and again, as an encoder does, until it is let in.
    let second: Run | undefined;
    let tries = 0;
    await eventually(
      async () => {
        if (second === undefined || second.child.exitCode !== null) {
          tries++;
          second = start(created.streamKey, 60, 'lost');
        }
        return (await storedEvents(t, created.id)).length >= 3;
      },
      30_000,
      200,
    );
    // It streams: still running a while later, the channel live.
    await sleep(2_500);
    expect(second!.child.exitCode).toBeNull();
    expect(await status(created.id)).toBe('live');

    const events = await storedEvents(t, created.id);
    expect(events.map((event) => event.name)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_live',
    ]);
    // The old session stopped as of when nginx last updated it; the reconnect is the same session.
    expect(events[1].eventTime).toBeLessThanOrEqual(gone);
    expect(events[1].eventTime).toBeGreaterThan(gone - 2_000);
    expect(new Set(events.map((event) => event.sessionId))).toEqual(new Set([live.sessionId]));
    expect(tries).toBeGreaterThanOrEqual(1);
  });

  it('refuses a second ffmpeg on a live key through the same nginx: the first keeps streaming, the events stay as they were', async () => {
    const created = await createChannel(t, { reconnectWindow: 600 });
    const first = start(created.streamKey, 60, 'live');
    await eventually(async () => (await status(created.id)) === 'live', 15_000);
    // nginx has sent its updates: the session has a heartbeat
    await eventually(async () => (await heartbeat(created.id)) !== null, 10_000);
    const asked = count(nginx.log(), /notify: publish '/g);

    const second = start(created.streamKey, 60, 'live');
    const code = await Promise.race([
      second.exited,
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 20_000)),
    ]);
    expect(code).not.toBe(0);
    expect(code).not.toBe('timeout');
    // nginx asked the service about the second publisher (on_publish comes before nginx's own
    // "already publishing" check), and the service's 403 made it drop that one.
    expect(count(nginx.log(), /notify: publish '/g)).toBe(asked + 1);

    // The first keeps streaming and its updates keep the channel live.
    const heard = await heartbeat(created.id);
    await sleep(2_500);
    expect(first.child.exitCode).toBeNull();
    expect(await status(created.id)).toBe('live');
    expect(await heartbeat(created.id)).not.toBeNull();
    expect(heard).not.toBeNull();
    expect((await storedEvents(t, created.id)).map((event) => event.name)).toEqual([
      'channel_live',
    ]);

    // When it quits, the channel stops: one session, one stop.
    await stop(first);
    await eventually(async () => (await status(created.id)) === 'stopped', 15_000);
    const events = await storedEvents(t, created.id);
    expect(events.map((event) => event.name)).toEqual(['channel_live', 'channel_stop']);
    expect(events[1].sessionId).toBe(events[0].sessionId);
  });
});

describe.each(databaseKinds())(
  'nginx-rtmp and ffmpeg through a quick restart of the service on %s',
  (kind) => {
    const cleanup = stepsAfterAll();
    const KEY = 'rtmp-restart-key';
    const STALE_AFTER_MS = 20_000;

    const start = (database: TestDatabase, port: number) =>
      startApp(database.url, port, {
        API_KEYS: KEY,
        INGEST_TOKEN: TOKEN,
        INGEST_STALE_AFTER: `${STALE_AFTER_MS}ms`,
      });

    it('sends no false stop for a publisher nginx kept through the restart', async () => {
      const database = await createTestDatabase(kind);
      cleanup.push(() => database.drop());
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const first = await start(database, port);
      cleanup.push(async () => first.kill('SIGKILL'));
      // Updates every 15 s: the service restarts between two of them, so nginx keeps the
      // publisher (it drops one whose update gets no answer).
      const nginx = await startNginx(application('live', base, '15s'));
      cleanup.push(() => nginx.close());

      const api = apiOf(port, KEY);
      const names = async (id: string) => (await channelEvents(api, id)).map(([name]) => name);

      const streamed = await api('POST', '/v1/channel', { name: 'streamed', reconnectWindow: 60 });
      const ffmpeg = publish(nginx.rtmpPort, streamed.streamKey, 120);
      cleanup.push(() => stop(ffmpeg));
      await eventually(
        async () => (await api('GET', `/v1/channel/${streamed.id}`)).status === 'live',
        15_000,
      );
      // A channel no media server updates: stopped once the grace is over after the restart.
      const canary = await api('POST', '/v1/channel', { name: 'canary', reconnectWindow: 60 });
      await fetch(`${base}/v1/ingest/events?token=${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ streamKey: canary.streamKey, action: 'publish' }),
      });

      // Right after an update has been answered, the service is killed and started again.
      const updates = () => count(nginx.log(), /notify: update '/g);
      const before = updates();
      await eventually(async () => updates() > before, 15_000);
      await sleep(200);
      first.kill('SIGKILL');
      await first.exited;
      const second = await start(database, port);
      cleanup.push(stopStep(second));

      await eventually(
        async () => (await api('GET', `/v1/channel/${canary.id}`)).status === 'stopped',
        45_000,
      );
      expect(ffmpeg.child.exitCode).toBeNull();
      expect((await api('GET', `/v1/channel/${streamed.id}`)).status).toBe('live');
      expect(await names(streamed.id)).toEqual(['channel_live']);

      await stop(ffmpeg);
      await eventually(
        async () => (await api('GET', `/v1/channel/${streamed.id}`)).status === 'stopped',
        15_000,
      );
      expect(await names(streamed.id)).toEqual(['channel_live', 'channel_stop']);
    }, 120_000);
  },
);
