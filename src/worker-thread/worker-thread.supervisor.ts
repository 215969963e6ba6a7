import { type ResourceLimits, Worker } from 'node:worker_threads';

/** A message to the thread; `ask` adds the id its answer must carry. */
export interface ThreadMessage {
  type: string;
  [key: string]: unknown;
}

/** How long a question to the thread may wait for its answer. */
const ANSWER_TIMEOUT_MS = 5_000;

/**
 * Runs one worker thread for the life of the process and speaks with it over its port: `post`
 * sends a message, `ask` a question whose answer comes back with the same `id`. The thread says
 * `{ type: 'ready' }` once it has started; `stop()` tells it `{ type: 'stop' }` and waits for it
 * to end on its own. An exit or an error the supervisor did not ask for is reported to
 * `onFailure` (the service then stops: never a process running on without its worker).
 */
export class WorkerThreadSupervisor {
  private worker: Worker | undefined;
  private readonly answers = new Map<number, (answer: ThreadMessage) => void>();
  private readonly listeners = new Map<string, (message: ThreadMessage) => void>();
  private nextId = 1;
  private stopping = false;
  private exited = false;
  private terminatedAtDeadline = false;
  private ended: Promise<number> = Promise.resolve(0);
  private started: Promise<void> = Promise.reject(new Error('the worker thread was not started'));

  constructor(
    private readonly script: URL,
    private readonly workerData: unknown,
    private readonly onFailure: (reason: string, error?: Error) => void,
    /** The thread's heap sizes (V8's defaults where left out). */
    private readonly resourceLimits?: ResourceLimits,
  ) {
    this.started.catch(() => undefined);
  }

  /** Starts the thread; `ready()` says when it has started. */
  start(): void {
    const worker = new Worker(this.script, {
      workerData: this.workerData,
      resourceLimits: this.resourceLimits,
    });
    this.worker = worker;
    this.started = new Promise((resolve, reject) => {
      const early = (code: number) =>
        reject(new Error(`the worker thread exited (code ${code}) before it was ready`));
      worker.once('exit', early);
      worker.once('error', reject);
      worker.on('message', (message: ThreadMessage) => {
        if (message.type !== 'ready') return;
        worker.off('exit', early);
        worker.off('error', reject);
        resolve();
      });
    });
    worker.on('message', (message: ThreadMessage) => {
      const answer = typeof message.id === 'number' ? this.answers.get(message.id) : undefined;
      if (!answer) return this.listeners.get(message.type)?.(message);
      this.answers.delete(message.id as number);
      answer(message);
    });
    this.ended = new Promise((resolve) => {
      worker.once('exit', (code) => {
        this.exited = true;
        for (const answer of this.answers.values()) answer({ type: 'gone' });
        this.answers.clear();
        if (!this.stopping) this.onFailure(`the worker thread exited unexpectedly (code ${code})`);
        resolve(code);
      });
    });
    worker.on('error', (error) => {
      if (!this.stopping) this.onFailure('the worker thread failed', error);
    });
  }

  /** Hears the messages of this type the thread sends of itself (not answers). */
  on(type: string, listener: (message: ThreadMessage) => void): void {
    this.listeners.set(type, listener);
  }

  /** Resolves once the thread said it is ready; rejects if it ended or failed before. */
  ready(): Promise<void> {
    return this.started;
  }

  /** `stop`'s deadline passed and the thread was terminated. */
  get terminated(): boolean {
    return this.terminatedAtDeadline;
  }

  /** The thread runs and was not told to stop. */
  get running(): boolean {
    return this.worker !== undefined && !this.stopping && !this.exited;
  }

  /** Sends a message; nothing before the thread started or after it ended. */
  post(message: ThreadMessage): void {
    if (!this.exited) this.worker?.postMessage(message);
  }

  /** Sends a question; resolves with the answer, or `{ type: 'gone' }` if none comes in time. */
  ask(message: ThreadMessage): Promise<ThreadMessage> {
    const worker = this.worker;
    if (!worker || this.exited) return Promise.resolve({ type: 'gone' });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.answers.delete(id);
        resolve({ type: 'gone' });
      }, ANSWER_TIMEOUT_MS);
      this.answers.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      worker.postMessage({ ...message, id });
    });
  }

  /**
   * Tells the thread to stop (it drains) and resolves with its exit code once it has ended. A
   * thread still running `deadlineMs` later is terminated (exit code 1, and `terminated` says
   * so): a drain that hangs never keeps the process from ending.
   */
  stop(deadlineMs?: number): Promise<number> {
    this.stopping = true;
    this.post({ type: 'stop' });
    const worker = this.worker;
    if (deadlineMs !== undefined && worker && !this.exited) {
      const timer = setTimeout(() => {
        this.terminatedAtDeadline = true;
        void worker.terminate();
      }, deadlineMs);
      void this.ended.then(() => clearTimeout(timer));
    }
    return this.ended;
  }
}
