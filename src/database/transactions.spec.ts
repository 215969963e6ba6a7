import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { Transactions } from './transactions.js';

const mysql = () => new Transactions({ options: { type: 'mysql' } } as DataSource);

/** TypeORM's error around the driver's, as the contention check reads it. */
function driverFailure(errno: number, message: string): Error {
  return Object.assign(new Error(message), { driverError: { errno, message } });
}

/** A statement failing `failures` times with `error`, then answering 'done'. */
function flaky(failures: number, error: Error) {
  let tries = 0;
  return {
    get tries() {
      return tries;
    },
    run: () => (++tries <= failures ? Promise.reject(error) : Promise.resolve('done')),
  };
}

describe('Transactions.statement', () => {
  it('runs a statement chosen as a deadlock victim again, as MySQL asks', async () => {
    const statement = flaky(2, driverFailure(1213, 'Deadlock found'));
    await expect(mysql().statement(statement.run)).resolves.toBe('done');
    expect(statement.tries).toBe(3);
  });

  it('gives up after five tries, with the last error', async () => {
    const error = driverFailure(1205, 'Lock wait timeout exceeded');
    const statement = flaky(10, error);
    await expect(mysql().statement(statement.run)).rejects.toBe(error);
    expect(statement.tries).toBe(5);
  });

  it('runs again a statement SQLite found busy (another connection writing to the file)', async () => {
    const busy = Object.assign(new Error('database is locked'), {
      driverError: { code: 'SQLITE_BUSY_SNAPSHOT', message: 'database is locked' },
    });
    const statement = flaky(1, busy);
    await expect(mysql().statement(statement.run)).resolves.toBe('done');
    expect(statement.tries).toBe(2);
  });

  it('does not run again a statement that failed for any other reason', async () => {
    const error = driverFailure(1062, 'Duplicate entry');
    const statement = flaky(1, error);
    await expect(mysql().statement(statement.run)).rejects.toBe(error);
    expect(statement.tries).toBe(1);
  });
});
