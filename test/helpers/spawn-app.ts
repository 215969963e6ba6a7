import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { httpApi } from './http-api.js';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = `${PROJECT_ROOT}dist/main.js`;

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface SpawnedApp {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Sends a signal to the whole process group. */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs the built service (`npm run test:e2e` builds it first) as its own process, as
 * `npm run start:prod` would: a process can be killed, and it starts in a second.
 */
export function spawnApp(
  env: Record<string, string>,
  cwd = PROJECT_ROOT,
  /** A command that runs node, e.g. ['faketime', '-f', '+10m'] for an instance whose clock is off. */
  wrapper: string[] = [],
): SpawnedApp {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  return spawnScript(MAIN, env, cwd, wrapper);
}

/** Runs the node script `script` as its own process group, its output kept. */
export function spawnScript(
  script: string,
  env: Record<string, string>,
  cwd = PROJECT_ROOT,
  wrapper: string[] = [],
): SpawnedApp {
  const [command, ...args] = [...wrapper, process.execPath, script];
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    },
  };
}

/** Polls `url` until it answers (any status), or fails after `timeoutMs`. */
export async function waitForHttp(url: string, app: SpawnedApp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void app.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the app exited before answering:\n${app.output()}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`the app did not answer within ${timeoutMs} ms:\n${app.output()}`);
}

/** Waits for the app to exit; fails after `timeoutMs` with what it wrote, rather than hanging. */
export async function exitWithin(app: SpawnedApp, timeoutMs = 30_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the app did not exit within ${timeoutMs} ms:\n${app.output()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([app.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface LogLine {
  level: number;
  msg?: string;
}

/** The service's JSON log lines (NODE_ENV=production) at `level` or above: 40 warn, 50 error. */
export function logLinesAtOrAbove(output: string, level: number): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.level >= level);
}

/** A cleanup step: SIGTERM to the app, resolved once it has exited. */
export function stopStep(app: SpawnedApp): () => Promise<unknown> {
  return () => {
    app.kill('SIGTERM');
    return app.exited;
  };
}

/** A cleanup step: SIGKILL to the app, resolved once it has exited. */
export function killStep(app: SpawnedApp): () => Promise<unknown> {
  return () => {
    app.kill('SIGKILL');
    return app.exited;
  };
}

/** A JSON API call to the app on `port` with this API key; answers the parsed body. */
export function apiOf(port: number, key: string) {
  const api = httpApi(`http://127.0.0.1:${port}`, key);
  return async (method: string, path: string, body?: unknown): Promise<any> =>
    (await api.request(method, path, { body })).body;
}

/**
 * The built service on `port` over `databaseUrl`, with `env`; resolves once it answers, and
 * kills it if it does not.
 */
export async function startApp(
  databaseUrl: string,
  port: number,
  env: Record<string, string>,
  wrapper: string[] = [],
): Promise<SpawnedApp> {
  const app = spawnApp(
    { PORT: String(port), DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', ...env },
    undefined,
    wrapper,
  );
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health/live`, app);
  } catch (error) {
    await killStep(app)();
    throw error;
  }
  return app;
}

/** A channel's events as its timeline route shows them, oldest first: [event, eventTime]. */
export async function channelEvents(
  api: ReturnType<typeof apiOf>,
  id: string,
): Promise<(readonly [string, number])[]> {
  const { data } = (await api('GET', `/v1/channel/${id}/events`)) as {
    data: { event: string; eventTime: number }[];
  };
  return data.map((event) => [event.event, event.eventTime] as const).reverse();
}
