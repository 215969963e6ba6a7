import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './channels.js';
import { freePort } from './spawn-app.js';

/** Debian's libnginx-mod-rtmp. */
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export interface Run {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

/** A process in a group of its own, its output kept. */
export function run(command: string, args: string[]): Run {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** SIGTERM to the process group; resolves when the process has exited. */
export function stop(process_: Run | undefined): Promise<unknown> {
  if (!process_ || process_.child.exitCode !== null) return Promise.resolve();
  try {
    process.kill(-process_.child.pid!, 'SIGTERM');
  } catch {
    // already gone
  }
  return process_.exited;
}

/** ffmpeg publishing a synthetic stream for `seconds` to rtmp://…/`application`/`streamKey`. */
export function publish(
  rtmpPort: number,
  streamKey: string,
  seconds: number,
  application = 'live',
): Run {
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
    `rtmp://127.0.0.1:${rtmpPort}/${application}/${streamKey}`,
  ]);
}

export interface Nginx {
  process: Run;
  rtmpPort: number;
  folder: string;
  /** Its error log (level info: every notify it sends). */
  log(): string;
  close(): Promise<void>;
}

/**
 * A real nginx with the rtmp module, one worker, listening on a free port on loopback, with these
 * `application` blocks; resolves once it accepts connections.
 */
export async function startNginx(applications: string): Promise<Nginx> {
  const rtmpPort = await freePort();
  const folder = mkdtempSync(join(tmpdir(), 'cw-nginx-'));
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
${applications}
  }
}
`,
  );
  const nginx = run('nginx', ['-p', folder, '-c', join(folder, 'nginx.conf')]);
  await eventually(async () => {
    if (nginx.child.exitCode !== null) throw new Error(`nginx exited: ${nginx.output()}`);
    return new Promise<boolean>((resolve) => {
      const socket = connect(rtmpPort, '127.0.0.1');
      socket.once('connect', () => resolve(socket.destroy() === socket));
      socket.once('error', () => resolve(false));
    });
  });
  return {
    process: nginx,
    rtmpPort,
    folder,
    log: () => readFileSync(join(folder, 'error.log'), 'utf8'),
    close: async () => {
      await stop(nginx);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/**
 * nginx-rtmp with one `live` application whose three hooks point at the app, an update every
 * `updateEvery`.
 */
export function startNginxRtmp(appBaseUrl: string, token: string, updateEvery = '1s') {
  const hook = `${appBaseUrl}/v1/ingest/nginx-rtmp`;
  return startNginx(`    application live {
      live on;
      on_publish ${hook}/publish?token=${token};
      on_publish_done ${hook}/publish_done?token=${token};
      on_update ${hook}/update?token=${token};
      notify_update_timeout ${updateEvery};
    }`);
}
