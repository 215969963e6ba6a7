import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProbeResult, ProbeSettings } from './probe.js';
import { exited, forkScript, onInterrupt, stopChild } from './processes.js';
import { Meter, type PhaseUsage } from './service.js';

/**
 * The parent's side of the ceilings the service is read beside: the design probe (probe.ts) and
 * the bare read server (bare-reads.ts), each in its own process.
 */

/** The service's default DELIVERY_CONCURRENCY (src/config/app-config.ts). */
export const DEFAULT_DELIVERY_CONCURRENCY = 64;

export interface ProbeRun extends ProbeResult {
  /** The probe process's CPU time (and the machine's other load) from its first fan-out INSERT to its last outcome written. */
  usage: PhaseUsage;
}

type ProbeMessage =
  { type: 'ready' } | ({ type: 'done' } & ProbeResult) | { type: 'failed'; error: string };

/** Runs the design probe once, on a database of its own; its tables and webhooks are not timed. */
export async function runDesignProbe(
  settings: ProbeSettings,
  timeoutMs: number,
  /** The bench's other processes (receiver, database server, the bench): not "other load". */
  companions: number[],
): Promise<ProbeRun> {
  const name = 'the design probe';
  const { child, first } = await forkScript<ProbeMessage>(
    new URL('./probe.ts', import.meta.url),
    name,
    [JSON.stringify(settings)],
  );
  const unregister = onInterrupt(() => stopChild(child, name));
  const meter = new Meter(child.pid!);
  meter.companions = companions;
  try {
    if (first.type !== 'ready') throw new Error(`${name} failed: ${describe(first)}`);
    const answered = nextMessage(child, name, timeoutMs);
    const endPhase = meter.phase();
    child.send({ type: 'go' });
    const message = await answered;
    const usage = endPhase();
    if (message.type !== 'done') throw new Error(`${name} failed: ${describe(message)}`);
    const { type: _type, ...result } = message;
    return { ...result, usage };
  } finally {
    meter.stop();
    unregister();
    await stopChild(child, name);
  }
}

function describe(message: ProbeMessage): string {
  return message.type === 'failed' ? message.error : `unexpected message ${message.type}`;
}

async function nextMessage(
  child: ChildProcess,
  name: string,
  timeoutMs: number,
): Promise<ProbeMessage> {
  const controller = new AbortController();
  try {
    const [message] = (await Promise.race([
      once(child, 'message', { signal: controller.signal }),
      once(child, 'exit', { signal: controller.signal }).then(() => {
        throw new Error(`${name} exited before it finished`);
      }),
      sleep(timeoutMs, undefined, { signal: controller.signal }).then(() => {
        throw new Error(`${name} did not finish within ${Math.round(timeoutMs / 1000)} s`);
      }),
    ])) as [ProbeMessage];
    return message;
  } finally {
    controller.abort();
  }
}

/** The bare read server (bare-reads.ts) on the service's database. */
export class BareReads {
  private readonly unregister: () => void;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.unregister = onInterrupt(() => stopChild(child, 'the bare read server'));
  }

  static async start(databaseUrl: string): Promise<BareReads> {
    const { child, first } = await forkScript<{ port: number }>(
      new URL('./bare-reads.ts', import.meta.url),
      'the bare read server',
      [databaseUrl],
    );
    return new BareReads(child, first.port);
  }

  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    this.unregister();
    if (this.child.connected) this.child.send({ type: 'stop' });
    if (!(await exited(this.child, 2_000))) await stopChild(this.child, 'the bare read server');
  }
}
