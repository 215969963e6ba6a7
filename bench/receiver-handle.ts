import type { ChildProcess } from 'node:child_process';
import { exited, forkScript, onInterrupt, stopChild } from './processes.js';

export interface ReceiverCounts {
  requests: number;
  /** Distinct `webhook-id`s answered 200. */
  delivered: number;
  refused: number;
  /** Requests to /hang, never answered. */
  hung: number;
  firstArrival: number;
  lastArrival: number;
  /** Arrival of the first and of the latest request that delivered a message for the first time. */
  firstDelivered: number;
  lastDelivered: number;
  bodyBytes: number;
  /** With `since`: delivered messages of events from before it. */
  older: number;
}

export interface ReceiverStats extends ReceiverCounts {
  /** arrival − eventTime of each delivered message (its first 200); with `since`, of newer events only. */
  latencies: number[];
  /** Delivered messages per `?w=` of the webhook URI. */
  perWebhook: Record<string, number>;
  duplicates: number;
}

/** The parent's side of bench/receiver.ts: one receiver process, asked over IPC. */
export class Receiver {
  private seq = 0;
  private readonly pending = new Map<number, (message: Record<string, unknown>) => void>();
  private readonly unregister: () => void;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.unregister = onInterrupt(() => stopChild(child, 'receiver'));
    child.on('message', (message: { seq: number } & Record<string, unknown>) => {
      const resolve = this.pending.get(message.seq);
      this.pending.delete(message.seq);
      resolve?.(message);
    });
  }

  static async start(): Promise<Receiver> {
    const { child, first } = await forkScript<{ port: number }>(
      new URL('./receiver.ts', import.meta.url),
      'the receiver',
    );
    return new Receiver(child, first.port);
  }

  get pid(): number {
    return this.child.pid!;
  }

  uri(webhook: number): string {
    return `http://127.0.0.1:${this.port}/hook?w=${webhook}`;
  }

  /** A URI whose requests are never answered. */
  get hangingUri(): string {
    return `http://127.0.0.1:${this.port}/hang`;
  }

  private ask<T>(command: Record<string, unknown>): Promise<T> {
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      if (this.child.exitCode !== null || !this.child.connected) {
        reject(new Error('the receiver is gone'));
        return;
      }
      this.pending.set(seq, resolve as (message: Record<string, unknown>) => void);
      this.child.send({ ...command, seq });
    });
  }

  /** `since` (ms): also count the delivered messages of events older than that. */
  counts(since?: number): Promise<ReceiverCounts> {
    return this.ask({ type: 'count', since });
  }

  /** `since` (ms): latencies of events from then on only. */
  stats(since?: number): Promise<ReceiverStats> {
    return this.ask({ type: 'stats', since });
  }

  async reset(): Promise<void> {
    await this.ask({ type: 'reset' });
  }

  /** 200 answers every request; 503 refuses every one. */
  async answer(status: 200 | 503): Promise<void> {
    await this.ask({ type: 'mode', status });
  }

  async stop(): Promise<void> {
    this.unregister();
    if (this.child.connected) this.child.send({ type: 'stop', seq: ++this.seq });
    if (!(await exited(this.child, 2_000))) await stopChild(this.child, 'receiver');
  }
}
