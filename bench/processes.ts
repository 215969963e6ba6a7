import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

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
