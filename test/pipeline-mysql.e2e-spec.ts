import { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { type Deferred, MysqlPipeline } from '../src/database/pipeline.js';
import { field, idRows, insertedId, rowsOf } from '../src/database/rows.js';
import { Transactions } from '../src/database/transactions.js';
import { createTestDatabase, type TestDatabase } from './helpers/databases.js';

const NOTES = rowsOf({ note: field.text });

/**
 * Pipeline on a real MariaDB: batches of statements in one round trip each, the first opening the
 * transaction and the last committing it (the SQLite side is src/database/pipeline.spec.ts).
 */
describe('Pipeline on MySQL', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  /** Every batch sent, as the statements it held. */
  let sent: string[][];

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
    const url = new URL(database.url);
    dataSource = await new DataSource(
      dataSourceOptions({ type: 'mysql', url: database.url, database: url.pathname.slice(1) }),
    ).initialize();
    await dataSource.query(
      'CREATE TABLE note (id BIGINT PRIMARY KEY AUTO_INCREMENT, note VARCHAR(20) NOT NULL UNIQUE)',
    );
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });
  beforeEach(async () => {
    await dataSource.query('DELETE FROM note');
    sent = [];
  });

  const notes = async () =>
    NOTES(await dataSource.query('SELECT note FROM note ORDER BY id')).map((row) => row.note);
  const insert = 'INSERT INTO note (note) VALUES (?)';

  /** A pipelined transaction on a connection of its own, each batch it sends recorded. */
  async function pipelined<T>(work: (tx: MysqlPipeline) => Promise<T>): Promise<T> {
    const runner = dataSource.createQueryRunner('master');
    const send = runner.query.bind(runner);
    runner.query = (sql: string, values?: unknown[]) => {
      sent.push(sql.split(';\n'));
      return send(sql, values);
    };
    const tx = new MysqlPipeline(runner);
    try {
      return await work(tx);
    } finally {
      if (tx.started && !tx.committed) await send('ROLLBACK');
      await runner.release();
    }
  }

  it('sends deferred statements with the next query, in order, in one round trip', async () => {
    const before = await pipelined(async (tx) => {
      tx.defer(insert, ['a']);
      tx.defer(insert, ['b']);
      const rows = NOTES(await tx.query('SELECT note FROM note ORDER BY id'));
      tx.defer(insert, ['c']);
      await tx.commit();
      return rows.map((row) => row.note);
    });
    expect(before).toEqual(['a', 'b']);
    expect(sent).toEqual([
      ['START TRANSACTION', insert, insert, 'SELECT note FROM note ORDER BY id'],
      [insert, 'COMMIT'],
    ]);
    expect(await notes()).toEqual(['a', 'b', 'c']);
  });

  it('refuses a deferred result before commit, and gives it after', async () => {
    const id = await pipelined(async (tx) => {
      const inserted = tx.defer(insert, ['a']).map(insertedId);
      expect(() => inserted.result()).toThrow(/after commit/);
      await tx.commit();
      return inserted;
    });
    const [row] = idRows(await dataSource.query('SELECT id FROM note'));
    await expect(id.result()).resolves.toBe(row.id);
    expect(sent).toHaveLength(1);
  });

  it('stops at a failed statement: what follows in its batch, later batches and COMMIT', async () => {
    const results: Deferred<unknown>[] = [];
    const failed = pipelined(async (tx) => {
      results.push(tx.defer(insert, ['a']), tx.defer(insert, ['a']));
      await expect(tx.query('SELECT 1')).rejects.toThrow(/Duplicate entry/);
      results.push(tx.defer(insert, ['b']));
      await tx.commit();
    });
    await expect(failed).rejects.toThrow(/Duplicate entry/);
    expect(sent).toEqual([['START TRANSACTION', insert, insert, 'SELECT 1']]);
    await expect(results[1].result()).rejects.toThrow(/Duplicate entry/);
    await expect(results[2].result()).rejects.toThrow(/Duplicate entry/);
    expect(await notes()).toEqual([]);
  });

  it('commits only what a transaction run by Transactions sent, once it commits', async () => {
    const transactions = new Transactions(dataSource);
    const ids = await transactions.pipeline(async (tx) => {
      const both = [tx.defer(insert, ['x']), tx.defer(insert, ['y'])].map((one) =>
        one.map(insertedId),
      );
      await tx.commit();
      return both;
    });
    const stored = idRows(await dataSource.query('SELECT id FROM note ORDER BY id'));
    expect(await Promise.all(ids.map((id) => id.result()))).toEqual(stored.map((row) => row.id));
    await expect(
      transactions.pipeline(async (tx) => {
        tx.defer(insert, ['z']);
        return Promise.resolve();
      }),
    ).rejects.toThrow(/must commit/);
    expect(await notes()).toEqual(['x', 'y']);
  });
});
