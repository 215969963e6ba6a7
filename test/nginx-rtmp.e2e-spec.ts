import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, storedEvents } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { type Nginx, publish, startNginx, stop } from './helpers/nginx-rtmp.js';
import { readmeBlocks } from './helpers/readme.js';
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
    const hook = `${t.baseUrl}/v1/ingest/nginx-rtmp`;
    nginx = await startNginx(`    application live {
      live on;
      on_publish ${hook}/publish?token=${TOKEN};
      on_publish_done ${hook}/publish_done?token=${TOKEN};
      on_update ${hook}/update?token=${TOKEN};
      notify_update_timeout 1s;
    }`);
    ({ rtmpPort, folder } = nginx);
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

describe("the README's nginx.conf", () => {
  it('is a whole configuration nginx -t accepts as written', async () => {
    const [conf] = readmeBlocks().filter((block) => block.lang === 'nginx');
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
