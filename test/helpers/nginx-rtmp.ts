import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './channels.js';
import { freePort } from './spawn-app.js';

/**
 * A real nginx with libnginx-mod-rtmp in front of the app, and ffmpeg publishing a synthetic
 * stream through it (TEST_NGINX_RTMP=1; CI installs nginx and ffmpeg and sets it).
 */
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

export function run(command: string, args: string[]): Run {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Stops a process group (SIGTERM) and waits for it. */
export function stop(process_: Run | undefined): Promise<unknown> {
  if (!process_ || process_.child.exitCode !== null) return Promise.resolve();
  try {
    process.kill(-process_.child.pid!, 'SIGTERM');
  } catch {
    // already gone
  }
  return process_.exited;
}

/** ffmpeg publishing a synthetic stream for `seconds`, at real-time speed. */
export function publish(rtmpPort: number, streamKey: string, seconds: number): Run {
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

export interface NginxRtmp {
  process: Run;
  port: number;
  folder: string;
  /** nginx's error log (at info: every notify it sent). */
  log(): string;
  close(): Promise<void>;
}

/** Starts nginx-rtmp with the three hooks pointing at the app, an update every `updateEvery`. */
export async function startNginxRtmp(
  appBaseUrl: string,
  token: string,
  updateEvery = '1s',
): Promise<NginxRtmp> {
  const port = await freePort();
  const folder = mkdtempSync(join(tmpdir(), 'cw-nginx-'));
  const hook = `${appBaseUrl}/v1/ingest/nginx-rtmp`;
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
    listen 127.0.0.1:${port};
    application live {
      live on;
      on_publish ${hook}/publish?token=${token};
      on_publish_done ${hook}/publish_done?token=${token};
      on_update ${hook}/update?token=${token};
      notify_update_timeout ${updateEvery};
    }
  }
}
`,
  );
  const nginx = run('nginx', ['-p', folder, '-c', join(folder, 'nginx.conf')]);
  await eventually(async () => {
    if (nginx.child.exitCode !== null) throw new Error(`nginx exited: ${nginx.output()}`);
    return new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket.destroy() === socket));
      socket.once('error', () => resolve(false));
    });
  });
  return {
    process: nginx,
    port,
    folder,
    log: () => readFileSync(join(folder, 'error.log'), 'utf8'),
    close: async () => {
      await stop(nginx);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
