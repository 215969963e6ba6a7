interface Deadline {
  controller: AbortController;
  at: number;
  done: boolean;
}

/**
 * Aborts attempts that outlive the delivery timeout, with one timer for all of them: every attempt
 * has the same timeout, so they fall due in the order they started. (A timer per attempt, as
 * AbortSignal.timeout makes, costs a timer and a weak reference per attempt that live the whole
 * timeout: tens of thousands of them under load.)
 */
export class Deadlines {
  private queue: Deadline[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** A signal aborted `timeoutMs` from now unless `done` is called first. */
  start(): { signal: AbortSignal; done: () => void } {
    const deadline: Deadline = {
      controller: new AbortController(),
      at: Date.now() + this.timeoutMs,
      done: false,
    };
    this.forgetDone();
    this.queue.push(deadline);
    this.arm();
    return { signal: deadline.controller.signal, done: () => (deadline.done = true) };
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer || this.head >= this.queue.length) return;
    const wait = Math.max(0, this.queue[this.head].at - Date.now());
    this.timer = setTimeout(() => this.expire(), wait);
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    while (this.head < this.queue.length && this.queue[this.head].at <= now) {
      const deadline = this.queue[this.head++];
      if (!deadline.done) deadline.controller.abort();
    }
    this.forgetDone();
    this.arm();
  }

  /** Drops finished attempts from the front, and compacts now and then. */
  private forgetDone(): void {
    while (this.head < this.queue.length && this.queue[this.head].done) this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
