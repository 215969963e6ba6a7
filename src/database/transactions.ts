import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

const MYSQL_DEADLOCK = 1213;
const MYSQL_LOCK_WAIT_TIMEOUT = 1205;
const RETRIES = 3;

/**
 * Runs units of work in transactions. Every write of the service goes through here.
 *
 * SQLite (better-sqlite3) gives TypeORM one connection: two transactions started together would
 * interleave on it as savepoints of each other. They are queued here instead, one after another,
 * which is also how SQLite would order them. MySQL runs them concurrently at READ COMMITTED: the
 * service's locking reads then lock the rows they find and no gaps around them, so fan-outs of
 * neighbouring channels do not block each other; a deadlock victim is tried again, as MySQL asks.
 */
@Injectable()
export class Transactions {
  private readonly mysql: boolean;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.mysql = dataSource.options.type === 'mysql';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.mysql) return this.runWithRetry(work);
    const result = this.tail.then(() => this.dataSource.transaction(work));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async runWithRetry<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction('READ COMMITTED', work);
      } catch (error) {
        const errno = (error as { driverError?: { errno?: number } }).driverError?.errno;
        const retryable = errno === MYSQL_DEADLOCK || errno === MYSQL_LOCK_WAIT_TIMEOUT;
        if (!retryable || attempt >= RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
      }
    }
  }
}
