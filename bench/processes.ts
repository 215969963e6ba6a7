import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** Waits for the child to exit, up to `ms`; true when it did. */
export async function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const controller = new AbortController();
  try {
    return await Promise.race([
      once(child, 'exit').then(() => true),
      sleep(ms, false, { signal: controller.signal }),
    ]);
  } catch {
    return child.exitCode !== null || child.signalCode !== null;
  } finally {
    controller.abort();
  }
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopChild(child: ChildProcess, name: string, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await exited(child, graceMs)) return;
  console.warn(`  ! ${name} did not stop within ${graceMs} ms of SIGTERM; killing it`);
  child.kill('SIGKILL');
  await exited(child, 5_000);
}

/**
 * Forks one of the bench's TypeScript scripts, with IPC, and waits for its first message (each
 * sends one when it is ready); a script that exits first is an error naming `name`.
 */
export async function forkScript<T>(
  script: URL,
  name: string,
  args: string[] = [],
): Promise<{ child: ChildProcess; first: T }> {
  const child = fork(fileURLToPath(script), args, {
    execArgv: ['--import', '@swc-node/register/esm-register'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const [first] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(() => {
        throw new Error(`${name} exited before it was ready`);
      }),
    ])) as [T];
    return { child, first };
  } catch (error) {
    await stopChild(child, name);
    throw error;
  }
}

type Cleanup = () => Promise<void>;
const cleanups = new Set<Cleanup>();

/**
 * Registers something to undo if the bench is interrupted (SIGINT/SIGTERM) while it is live;
 * the answer unregisters it. The normal path undoes things itself, in its `finally` blocks.
 */
export function onInterrupt(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the service and receiver, dropping the databases…`);
    // Newest first: a service stops before its database is dropped.
    const pending = [...cleanups].reverse();
    void (async () => {
      for (const cleanup of pending) {
        try {
          await cleanup();
        } catch (error) {
          console.error(`  cleanup failed: ${(error as Error).message}`);
        }
      }
      process.exit(130);
    })();
  });
}
