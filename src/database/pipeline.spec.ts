import { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Deferred } from './pipeline.js';
import { field, idRows, rowsOf } from './rows.js';
import { Transactions } from './transactions.js';

const NOTES = rowsOf({ id: field.id, note: field.text });

/** Pipeline on a real SQLite (in memory); the MySQL side is test/pipeline.e2e-spec.ts. */
describe('Pipeline on SQLite', () => {
  let dataSource: DataSource;
  let transactions: Transactions;

  beforeEach(async () => {
    dataSource = await new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
    }).initialize();
    await dataSource.query(
      'CREATE TABLE note (id INTEGER PRIMARY KEY AUTOINCREMENT, note TEXT NOT NULL UNIQUE)',
    );
    transactions = new Transactions(dataSource);
  });
  afterEach(() => dataSource.destroy());

  const notes = async () => NOTES(await dataSource.query('SELECT id, note FROM note ORDER BY id'));
  const insert = 'INSERT INTO note (note) VALUES (?) RETURNING id';

  it('runs deferred statements in order, before a later query, and commits them', async () => {
    const seen = await transactions.pipeline(async (tx) => {
      tx.defer(insert, ['a']);
      tx.defer(insert, ['b']);
      const rows = NOTES(await tx.query('SELECT id, note FROM note ORDER BY id'));
      tx.defer(insert, ['c']);
      await tx.commit();
      return rows.map((row) => row.note);
    });
    expect(seen).toEqual(['a', 'b']);
    expect((await notes()).map((row) => row.note)).toEqual(['a', 'b', 'c']);
  });

  it('refuses a deferred result before commit, and gives it after', async () => {
    const inserted = await transactions.pipeline(async (tx) => {
      const first = tx.defer(insert, ['a']).map((rows) => idRows(rows)[0]?.id);
      expect(() => first.result()).toThrow(/after commit/);
      await tx.commit();
      return first;
    });
    await expect(inserted.result()).resolves.toBe('1');
  });

  it('gives a deferred result once a later query has sent it', async () => {
    await transactions.pipeline(async (tx) => {
      const count = tx.defer('SELECT COUNT(*) AS n FROM note');
      await tx.query(insert, ['a']);
      await expect(count.result()).resolves.toEqual([{ n: 0 }]);
      await tx.commit();
    });
  });

  it('stops at a failed statement: the rest are not run and nothing is committed', async () => {
    const results: Deferred<unknown>[] = [];
    const failed = transactions.pipeline(async (tx) => {
      results.push(tx.defer(insert, ['a']), tx.defer(insert, ['a']), tx.defer(insert, ['b']));
      await tx.commit();
    });
    await expect(failed).rejects.toThrow(/UNIQUE/);
    await expect(results[0].result()).resolves.toBeDefined();
    await expect(results[1].result()).rejects.toThrow(/UNIQUE/);
    // the third was never run: it answers the failure that stopped it
    await expect(results[2].result()).rejects.toThrow(/UNIQUE/);
    expect(await notes()).toEqual([]);
  });

  it('joins results with all and map, there when every part is', async () => {
    const joined = await transactions.pipeline(async (tx) => {
      const ids = Deferred.all([
        tx.defer(insert, ['a']).map((rows) => idRows(rows)[0]?.id),
        Deferred.of('known'),
      ]);
      expect(() => ids.result()).toThrow(/after commit/);
      await tx.commit();
      return ids;
    });
    await expect(joined.result()).resolves.toEqual(['1', 'known']);
  });
});
