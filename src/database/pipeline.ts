import type { EntityManager, QueryRunner } from 'typeorm';
import type { SqlValue } from './sql.js';

/**
 * A transaction whose statements can be queued and sent together: on MySQL every batch is one
 * round trip (multiple statements in one query), the first carrying START TRANSACTION and the
 * last COMMIT. A statement whose result is needed before the next one is chosen is sent with
 * `query`; writes that only need to happen go with `defer`, and `commit` sends them. Results of
 * deferred statements are there once they are sent: await them after `commit`, never before.
 */
export interface Pipeline {
  /** Sends what is queued and this statement now; answers this one's result. */
  query<T>(sql: string, values?: SqlValue[]): Promise<T>;
  /** Queues a statement for the next send; its result once sent. */
  defer<T>(sql: string, values?: SqlValue[]): Promise<T>;
  /** Sends what is queued, and commits. */
  commit(): Promise<void>;
}

interface Queued {
  sql: string;
  values: SqlValue[];
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

const ignore = () => undefined;

/**
 * Marks a promise derived from a deferred result (e.g. with `then`) as handled: when the
 * transaction fails before anyone awaits it, its rejection is the transaction's, not a stray one.
 */
export function derived<T>(promise: Promise<T>): Promise<T> {
  promise.catch(ignore);
  return promise;
}

/**
 * MySQL: batches go as one multi-statement query on the transaction's own connection, one batch
 * after another; once a statement has failed nothing more is sent, COMMIT least of all.
 */
export class MysqlPipeline implements Pipeline {
  private queued: Queued[] = [];
  private sending: Promise<void> = Promise.resolve();
  private begun = false;
  committed = false;
  private failure: Error | undefined;

  constructor(private readonly runner: QueryRunner) {}

  get started(): boolean {
    return this.begun;
  }

  query<T>(sql: string, values: SqlValue[] = []): Promise<T> {
    const result = this.defer<T>(sql, values);
    void this.send(false);
    return result;
  }

  defer<T>(sql: string, values: SqlValue[] = []): Promise<T> {
    const result = new Promise<T>((resolve, reject) =>
      this.queued.push({ sql, values, resolve: resolve as (value: unknown) => void, reject }),
    );
    // Failures reach whoever awaits the result, and commit(); an unawaited one is not unhandled.
    result.catch(ignore);
    return result;
  }

  async commit(): Promise<void> {
    await this.send(true);
    if (this.failure !== undefined) throw this.failure;
  }

  /** Queues what is deferred behind the batches already on their way; never rejects. */
  private send(commit: boolean): Promise<void> {
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

/** SQLite: statements run one after another, in order, inside the TypeORM transaction. */
export class SequentialPipeline implements Pipeline {
  private tail: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;

  constructor(private readonly manager: EntityManager) {}

  query<T>(sql: string, values: SqlValue[] = []): Promise<T> {
    return this.defer<T>(sql, values);
  }

  defer<T>(sql: string, values: SqlValue[] = []): Promise<T> {
    const result = this.tail.then(() => this.manager.query<T>(sql, values));
    this.tail = result.catch((error: unknown) => {
      this.failure ??= error as Error;
    });
    result.catch(ignore);
    return result;
  }

  async commit(): Promise<void> {
    await this.tail;
    if (this.failure !== undefined) throw this.failure;
  }
}
