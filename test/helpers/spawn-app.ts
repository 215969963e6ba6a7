import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
// esm-register.mjs resolves its hooks from the working directory; name them absolutely instead,
// so the app can run in any folder.
const HOOKS = pathToFileURL(`${PROJECT_ROOT}node_modules/@swc-node/register/esm/esm.mjs`).href;
const REGISTER = `data:text/javascript,import{register}from'node:module';register(${encodeURIComponent(JSON.stringify(HOOKS))});`;

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

/** Runs the service from its TypeScript sources as its own process (as `npm start` would). */
export function spawnApp(
  env: Record<string, string>,
  cwd = PROJECT_ROOT,
  script = 'src/main.ts',
): SpawnedApp {
  const child = spawn(process.execPath, ['--import', REGISTER, `${PROJECT_ROOT}${script}`], {
    cwd,
    env: { PATH: process.env.PATH ?? '', SWC_NODE_PROJECT: `${PROJECT_ROOT}tsconfig.json`, ...env },
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
