import type { EntityManager, QueryRunner } from 'typeorm';
import type { SqlValue } from './sql.js';

/**
 * A transaction whose statements can be queued and sent together: on MySQL every batch is one
 * round trip (multiple statements in one query), the first carrying START TRANSACTION and the
 * last COMMIT. A statement whose result is needed before the next one is chosen is sent with
 * `query`; writes that only need to happen go with `defer`, and `commit` sends them. A deferred
 * statement's result is there once it is sent: its handle gives it after `commit` (or after a
 * later `query`, which sends it along), and refuses before, on both databases.
 */
export interface Pipeline {
  /** Sends what is queued and this statement now; answers this one's raw result. */
  query(sql: string, values?: SqlValue[]): Promise<unknown>;
  /** Queues a statement for the next send; its raw result, once sent. */
  defer(sql: string, values?: SqlValue[]): Deferred<unknown>;
  /** Sends what is queued, and commits. */
  commit(): Promise<void>;
}

const ignore = () => undefined;

/**
 * The result of a deferred statement (or one derived from such results with `map`, `all`): taken
 * with `result()` once its transaction has sent it, never before (the result of a statement not
 * yet sent would never come). A failed transaction's results are its failure.
 */
export class Deferred<T> {
  private constructor(
    private readonly sent: () => boolean,
    private readonly value: Promise<T>,
  ) {
    // Failures reach whoever takes the result, and commit(); one never taken is not unhandled.
    value.catch(ignore);
  }

  /** A result known already, e.g. of statements sent with `query`. */
  static of<T>(value: T): Deferred<T> {
    return new Deferred(() => true, Promise.resolve(value));
  }

  /** The results of these, in order, once all are sent. */
  static all<T>(parts: Deferred<T>[]): Deferred<T[]> {
    return new Deferred(
      () => parts.every((part) => part.sent()),
      Promise.all(parts.map((part) => part.value)),
    );
  }

  /** @internal a statement's result, sent once `sent` says so. */
  static queued<T>(sent: () => boolean, value: Promise<T>): Deferred<T> {
    return new Deferred(sent, value);
  }

  /** A result computed from this one, there when this one is. */
  map<U>(next: (value: T) => U): Deferred<U> {
    return new Deferred(this.sent, this.value.then(next));
  }

  /** The result: only once the transaction has sent the statement (after commit). */
  result(): Promise<T> {
    if (!this.sent()) {
      throw new Error(
        'a deferred statement has not been sent: take its result after commit() (or a later query())',
      );
    }
    return this.value;
  }
}

/** Numbers a pipeline's statements, and tells which have been sent (or are on their way). */
class Sends {
  private queued = 0;
  private sent = 0;

  /** A new statement's handle check. */
  next(): () => boolean {
    const position = ++this.queued;
    return () => this.sent >= position;
  }

  /** Everything queued so far goes with this send. */
  all(): void {
    this.sent = this.queued;
  }
}

interface Queued {
  sql: string;
  values: SqlValue[];
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * MySQL: batches go as one multi-statement query on the transaction's own connection, one batch
 * after another; once a statement has failed nothing more is sent, COMMIT least of all.
 */
export class MysqlPipeline implements Pipeline {
  private queued: Queued[] = [];
  private readonly sends = new Sends();
  private sending: Promise<void> = Promise.resolve();
  private begun = false;
  committed = false;
  private failure: Error | undefined;

  constructor(private readonly runner: QueryRunner) {}

  get started(): boolean {
    return this.begun;
  }

  query(sql: string, values: SqlValue[] = []): Promise<unknown> {
    const result = this.defer(sql, values);
    void this.send(false);
    return result.result();
  }

  defer(sql: string, values: SqlValue[] = []): Deferred<unknown> {
    const result = new Promise((resolve, reject) =>
      this.queued.push({ sql, values, resolve, reject }),
    );
    return Deferred.queued(this.sends.next(), result);
  }

  async commit(): Promise<void> {
    await this.send(true);
    if (this.failure !== undefined) throw this.failure;
  }

  /** Queues what is deferred behind the batches already on their way; never rejects. */
  private send(commit: boolean): Promise<void> {
    this.sends.all();
    const batch = this.queued.splice(0);
    this.sending = this.sending.then(() => this.sendNow(batch, commit));
    return this.sending;
  }

  private async sendNow(batch: Queued[], commit: boolean): Promise<void> {
    if (this.failure !== undefined) {
      for (const queued of batch) queued.reject(this.failure);
      return;
    }
    const statements = batch.map((queued) => queued.sql);
    const first = this.begun ? 0 : 1;
    if (!this.begun) statements.unshift('START TRANSACTION');
    if (commit) statements.push('COMMIT');
    this.begun = true;
    try {
      const raw: unknown = await this.runner.query(
        statements.join(';\n'),
        batch.flatMap((queued) => queued.values),
      );
      const results = statements.length === 1 ? [raw] : (raw as unknown[]);
      batch.forEach((queued, index) => queued.resolve(results[first + index]));
      if (commit) this.committed = true;
    } catch (error) {
      this.failure = error as Error;
      for (const queued of batch) queued.reject(error);
    }
  }
}

/**
 * SQLite: statements run one after another, in order, inside the TypeORM transaction; once a
 * statement has failed the rest are not run, and the transaction rolls back.
 */
export class SequentialPipeline implements Pipeline {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly sends = new Sends();
  private failure: Error | undefined;

  constructor(private readonly manager: EntityManager) {}

  query(sql: string, values: SqlValue[] = []): Promise<unknown> {
    const result = this.defer(sql, values);
    this.sends.all();
    return result.result();
  }

  /**
   * Runs at once, in order (none once one has failed, as on MySQL); its result is still taken
   * only as on MySQL (see Deferred).
   */
  defer(sql: string, values: SqlValue[] = []): Deferred<unknown> {
    const result = this.tail.then((): Promise<unknown> =>
      this.failure === undefined ? this.manager.query(sql, values) : Promise.reject(this.failure),
    );
    this.tail = result.catch((error: unknown) => {
      this.failure ??= error as Error;
    });
    return Deferred.queued(this.sends.next(), result);
  }

  async commit(): Promise<void> {
    this.sends.all();
    await this.tail;
    if (this.failure !== undefined) throw this.failure;
  }
}
