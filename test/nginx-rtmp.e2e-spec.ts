import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpMetrics } from '../src/metrics/metrics.registry.js';
import {
  channelWithStatus,
  createChannel,
  eventually,
  ingest,
  storedEvents,
} from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { type Nginx, publish, startNginxRtmp, stop } from './helpers/nginx-rtmp.js';
import { docBlocks } from './helpers/readme.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

/**
 * A real nginx with libnginx-mod-rtmp in front of the app, and ffmpeg publishing a synthetic
 * stream through it. Runs when TEST_NGINX_RTMP=1 (CI installs nginx and ffmpeg and sets it).
 */
const TOKEN = 'rtmp-ingest-token';

// vitest.e2e.config.ts leaves this file out unless TEST_NGINX_RTMP=1
const kinds = databaseKinds();

describe.each(kinds)('nginx-rtmp and ffmpeg against the app on %s', (kind) => {
  let t: TestApp;
  let nginx: Nginx;
  let rtmpPort: number;
  let folder: string;

  beforeAll(async () => {
    t = await createTestApp(kind, { INGEST_TOKEN: TOKEN, INGEST_STALE_AFTER: '3s' });
    nginx = await startNginxRtmp(t.baseUrl, TOKEN);
    rtmpPort = nginx.rtmpPort;
    folder = nginx.folder;
  });

  afterAll(async () => {
    await nginx?.close();
    await t?.close();
  });

  it('makes the channel live while ffmpeg publishes and stopped after it quits', async () => {
    const created = await createChannel(t, { reconnectWindow: 600 });
    const ffmpeg = publish(rtmpPort, created.streamKey, 5);
    try {
      const live = await eventually(async () => {
        const channel = (await t.request('GET', `/v1/channel/${created.id}`)).body;
        return channel.status === 'live' ? channel : undefined;
      }, 15_000);
      expect(ffmpeg.child.exitCode).toBeNull(); // still publishing
      expect(live.sessionId).toEqual(expect.any(String));

      expect(await ffmpeg.exited).toBe(0);
      const stopped = await eventually(async () => {
        const channel = (await t.request('GET', `/v1/channel/${created.id}`)).body;
        return channel.status === 'stopped' ? channel : undefined;
      }, 15_000);
      expect(stopped.sessionId).toBe(live.sessionId);
      expect((await storedEvents(t, created.id)).map((event) => event.name)).toEqual([
        'channel_live',
        'channel_stop',
      ]);
    } finally {
      await stop(ffmpeg);
    }
  });

  it('stops, then ends, a channel whose nginx worker was killed mid-publish (no publish_done ever comes)', async () => {
    const created = await createChannel(t, { reconnectWindow: 1 });
    const ffmpeg = publish(rtmpPort, created.streamKey, 60);
    try {
      await eventually(async () => {
        const channel = (await t.request('GET', `/v1/channel/${created.id}`)).body;
        return channel.status === 'live';
      }, 15_000);
      // on_update keeps it live past INGEST_STALE_AFTER
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect((await t.request('GET', `/v1/channel/${created.id}`)).body.status).toBe('live');
      const log = readFileSync(join(folder, 'error.log'), 'utf8');
      expect(log).toMatch(/notify: update '[^']*\/v1\/ingest\/nginx-rtmp\/update/);

      const master = Number(readFileSync(join(folder, 'nginx.pid'), 'utf8').trim());
      const workers = execFileSync('pgrep', ['-P', String(master)], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map(Number);
      const killedAt = Date.now();
      for (const pid of workers) process.kill(pid, 'SIGKILL');
      await ffmpeg.exited;

      const stopped = await eventually(async () => {
        const channel = (await t.request('GET', `/v1/channel/${created.id}`)).body;
        return channel.status === 'stopped' || channel.status === 'ended' ? channel : undefined;
      }, 15_000);
      // Stopped as of the last update nginx sent, about when the worker died (one may have been
      // on its way as it was killed).
      expect(Date.parse(stopped.stoppedAt)).toBeLessThanOrEqual(killedAt + 1_000);
      expect(Date.parse(stopped.stoppedAt)).toBeGreaterThan(killedAt - 2_000);
      await eventually(async () => {
        const channel = (await t.request('GET', `/v1/channel/${created.id}`)).body;
        return channel.status === 'ended';
      }, 10_000);
      expect((await storedEvents(t, created.id)).map((event) => event.name)).toEqual([
        'channel_live',
        'channel_stop',
        'channel_ended',
      ]);
    } finally {
      await stop(ffmpeg);
    }
  });

  it('has nginx refuse a publisher with a wrong stream key', async () => {
    const created = await createChannel(t);
    const eventsBefore = (await storedEvents(t)).length;
    const ffmpeg = publish(rtmpPort, 'not-a-stream-key', 3);
    const code = await Promise.race([
      ffmpeg.exited,
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 20_000)),
    ]);
    await stop(ffmpeg);
    expect(code).not.toBe(0);
    expect(code).not.toBe('timeout');
    // nginx asked the app about this publisher, and the app's 403 made it drop the connection
    const log = readFileSync(join(folder, 'error.log'), 'utf8');
    expect(log).toContain("publish: name='not-a-stream-key'");
    expect(log).toMatch(/notify: publish '[^']*\/v1\/ingest\/nginx-rtmp\/publish/);
    expect((await storedEvents(t)).length).toBe(eventsBefore);
    expect((await t.request('GET', `/v1/channel/${created.id}`)).body.status).toBe('idle');
  });
});

describe.each(kinds)('30 wrong-token requests beside a live nginx-rtmp publisher on %s', (kind) => {
  let t: TestApp;
  let nginx: Nginx;

  beforeAll(async () => {
    // the default limit: 30 refused hooks per address a minute
    t = await createTestApp(kind, { INGEST_TOKEN: TOKEN, RATE_LIMIT_INGEST_DENIALS: '30/1m' });
    nginx = await startNginxRtmp(t.baseUrl, TOKEN);
  });

  afterAll(async () => {
    await nginx?.close();
    await t?.close();
  });

  it('refuses the guesses (429 past the limit) and never the publisher with the right token from the same address', async () => {
    const created = await createChannel(t, { reconnectWindow: 600 });
    const ffmpeg = publish(nginx.rtmpPort, created.streamKey, 300);
    const updates = async () => {
      const metrics = t.app.get(HttpMetrics).requests;
      return (await metrics.get()).values
        .filter(({ labels }) => labels.route === '/v1/ingest/nginx-rtmp/update')
        .map(({ labels, value }) => [String(labels.status), value] as const);
    };
    try {
      const live = await channelWithStatus(t, created.id, 'live');

      // 127.0.0.1, as nginx: wrong tokens on every kind of hook
      const guesses = [];
      for (let i = 0; i < 32; i++) {
        const route = ['events', 'nginx-rtmp/publish', 'srs'][i % 3];
        const body =
          route === 'events'
            ? { streamKey: created.streamKey, action: 'unpublish' }
            : route === 'srs'
              ? { action: 'on_unpublish', stream: created.streamKey }
              : undefined;
        const answer = await t.request('POST', `/v1/ingest/${route}?token=guess-${i}`, {
          ...(body
            ? { body }
            : {
                rawBody: `call=publish&name=${created.streamKey}`,
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
              }),
          apiKey: false,
        });
        guesses.push(answer.status);
      }
      expect(guesses).toEqual([...Array<number>(30).fill(401), 429, 429]);

      // nginx goes on updating with the right token from the same address: every update 2xx
      const before = await updates();
      const counted = before.find(([status]) => status === '200')?.[1] ?? 0;
      await eventually(
        async () =>
          ((await updates()).find(([status]) => status === '200')?.[1] ?? 0) >= counted + 3,
        15_000,
      );
      expect((await updates()).map(([status]) => status)).toEqual(['200']);
      expect(ffmpeg.child.exitCode).toBeNull();
      expect((await t.request('GET', `/v1/channel/${created.id}`)).body).toMatchObject({
        status: 'live',
        sessionId: live.sessionId,
      });
      // a further guess is still refused
      expect((await ingest(t, created.streamKey, 'unpublish', 'guess-again')).status).toBe(429);

      // and its stop is applied when it leaves
      await stop(ffmpeg);
      expect((await channelWithStatus(t, created.id, 'stopped')).sessionId).toBe(live.sessionId);
      expect((await storedEvents(t, created.id)).map((event) => event.name)).toEqual([
        'channel_live',
        'channel_stop',
      ]);
    } finally {
      await stop(ffmpeg);
    }
  });
});

describe("docs/media-servers.md's nginx.conf", () => {
  it('is a whole configuration nginx -t accepts as written', async () => {
    const [conf] = docBlocks('docs/media-servers.md').filter((block) => block.lang === 'nginx');
    const folder = mkdtempSync(join(tmpdir(), 'cw-readme-nginx-'));
    try {
      writeFileSync(join(folder, 'nginx.conf'), conf.code);
      const { stderr } = await promisify(execFile)('nginx', [
        '-t',
        '-p',
        folder,
        '-e',
        'stderr',
        '-c',
        join(folder, 'nginx.conf'),
      ]);
      expect(stderr).toContain('syntax is ok');
      expect(stderr).toContain('test is successful');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
