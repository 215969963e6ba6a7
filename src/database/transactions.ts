import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from './data-source.token.js';
import { DataSource, type EntityManager } from 'typeorm';
import { databaseStatus, isLockContention } from './database-status.js';
import { MysqlPipeline, type Pipeline, SequentialPipeline } from './pipeline.js';

/** Tries for a transaction that keeps losing to contention, before its caller hears of it. */
const RETRIES = 5;

/**
 * Runs units of work in transactions. Every write of the service goes through here.
 *
 * SQLite (better-sqlite3) gives TypeORM one connection: two transactions started together would
 * interleave on it as savepoints of each other. They are queued here instead, one after another,
 * which is also how SQLite would order them. MySQL runs them concurrently, each connection at READ
 * COMMITTED (set once per connection, see data-source-options.ts); a deadlock victim is tried
 * again, as MySQL asks.
 */
@Injectable()
export class Transactions {
  private readonly logger = new Logger('Transactions');
  private readonly mysql: boolean;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.mysql = dataSource.options.type === 'mysql';
  }

  /**
   * Resolves once work raised together with the caller's has been raised too, so that one
   * transaction can take it all. On MySQL at once: work that comes while a transaction waits on the
   * server queues behind it and makes the next batch. On SQLite, after the requests read in this
   * turn of the event loop: its transactions take no I/O, so nothing would queue behind one.
   */
  gathered(): Promise<void> {
    return this.mysql ? Promise.resolve() : new Promise((resolve) => setImmediate(resolve));
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.mysql) return this.runWithRetry(work);
    const result = this.tail.then(() => this.withRetry(() => this.dataSource.transaction(work)));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * A transaction for the hot path (see Pipeline): on MySQL its statements go in as few round
   * trips as the work allows. `work` must commit; a failure rolls it back.
   */
  pipeline<T>(work: (tx: Pipeline) => Promise<T>): Promise<T> {
    if (!this.mysql) return this.run((manager) => work(new SequentialPipeline(manager)));
    return this.withRetry(async () => {
      const runner = this.dataSource.createQueryRunner('master');
      const tx = new MysqlPipeline(runner);
      try {
        const result = await work(tx);
        if (!tx.committed) throw new Error('a pipelined transaction must commit');
        return result;
      } catch (error) {
        if (tx.started && !tx.committed) await runner.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        await runner.release();
      }
    });
  }

  /**
   * One statement outside a transaction (e.g. a single-row UPDATE): on MySQL it can still lose a
   * row lock to a transaction and be chosen as a deadlock victim, and is then run again too.
   */
  statement<T>(work: () => Promise<T>): Promise<T> {
    return this.withRetry(work);
  }

  private runWithRetry<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.withRetry(() => this.dataSource.transaction(work));
  }

  private async withRetry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      const startedAt = performance.now();
      try {
        const result = await attempt();
        databaseStatus.succeeded();
        return result;
      } catch (error) {
        databaseStatus.failed(error, startedAt);
        if (!isLockContention(error) || tries >= RETRIES) throw error;
        this.logger.debug(`Transaction lost to contention (try ${tries}); running it again`);
        await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** tries + Math.random() * 20));
      }
    }
  }
}
