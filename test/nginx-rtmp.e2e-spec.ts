import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, storedEvents } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { readmeBlocks } from './helpers/readme.js';
import { freePort } from './helpers/spawn-app.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

/**
 * A real nginx with libnginx-mod-rtmp in front of the app, and ffmpeg publishing a synthetic
 * stream through it. Runs when TEST_NGINX_RTMP=1 (CI installs nginx and ffmpeg and sets it).
 */
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
const TOKEN = 'rtmp-ingest-token';

// vitest.e2e.config.ts leaves this file out unless TEST_NGINX_RTMP=1
const kinds = databaseKinds();

interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

function run(command: string, args: string[]): Run {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

function stop(process_: Run | undefined): Promise<unknown> {
  if (!process_ || process_.child.exitCode !== null) return Promise.resolve();
  try {
    process.kill(-process_.child.pid!, 'SIGTERM');
  } catch {
    // already gone
  }
  return process_.exited;
}

function publish(rtmpPort: number, streamKey: string, seconds: number): Run {
  return run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=320x240:rate=15',
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-f',
    'flv',
    `rtmp://127.0.0.1:${rtmpPort}/live/${streamKey}`,
  ]);
}

describe.each(kinds)('nginx-rtmp and ffmpeg against the app on %s', (kind) => {
  let t: TestApp;
  let nginx: Run;
  let rtmpPort: number;
  let folder: string;

  beforeAll(async () => {
    t = await createTestApp(kind, { INGEST_TOKEN: TOKEN, INGEST_STALE_AFTER: '3s' });
    rtmpPort = await freePort();
    folder = mkdtempSync(join(tmpdir(), 'cw-nginx-'));
    const hook = `${t.baseUrl}/v1/ingest/nginx-rtmp`;
    writeFileSync(
      join(folder, 'nginx.conf'),
      `load_module ${RTMP_MODULE};
daemon off;
worker_processes 1;
pid ${folder}/nginx.pid;
error_log ${folder}/error.log info;
events { worker_connections 64; }
rtmp {
  server {
    listen 127.0.0.1:${rtmpPort};
    application live {
      live on;
      on_publish ${hook}/publish?token=${TOKEN};
      on_publish_done ${hook}/publish_done?token=${TOKEN};
      on_update ${hook}/update?token=${TOKEN};
      notify_update_timeout 1s;
    }
  }
}
`,
    );
    nginx = run('nginx', ['-p', folder, '-c', join(folder, 'nginx.conf')]);
    await eventually(async () => {
      if (nginx.child.exitCode !== null) throw new Error(`nginx exited: ${nginx.output()}`);
      const { connect } = await import('node:net');
      return new Promise<boolean>((resolve) => {
        const socket = connect(rtmpPort, '127.0.0.1');
        socket.once('connect', () => resolve(socket.destroy() === socket));
        socket.once('error', () => resolve(false));
      });
    });
  });

  afterAll(async () => {
    await stop(nginx);
    await t?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
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
