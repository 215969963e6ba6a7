import { Injectable } from '@nestjs/common';

/** What the rest of a process asks of its delivery worker. */
export interface LinkedWorker {
  /** Look for due work now. */
  wake(): void;
  /** False once it began draining (a worker in another thread is asked). */
  running(): boolean | Promise<boolean>;
}

/**
 * How the API side reaches the delivery worker of its process, if the process has one (role
 * `worker` or `both`; an `api` process has none, and the worker of another process finds the
 * rows the operator's controls wrote by polling). The worker's module attaches it; a
 * process whose worker runs in a thread of its own attaches that thread's messenger.
 */
@Injectable()
export class WorkerLink {
  private worker: LinkedWorker | undefined;

  attach(worker: LinkedWorker): void {
    this.worker = worker;
  }

  wake(): void {
    this.worker?.wake();
  }

  /** Whether this process's worker takes work; false without one. */
  async running(): Promise<boolean> {
    return (await this.worker?.running()) ?? false;
  }
}
