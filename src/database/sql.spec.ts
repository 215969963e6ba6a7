import Database from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sql } from './sql.js';

/** The data source's parts Sql reads: its type, and one query on MySQL. */
type SqlSource = { options: Pick<DataSource['options'], 'type'> } & Partial<
  Pick<DataSource, 'query'>
>;

const sqlFor = (type: DataSource['options']['type']) => {
  const source: SqlSource = { options: { type } };
  return new Sql(source as DataSource);
};

describe('Sql.insertedIds', () => {
  let db: Database.Database;
  beforeEach(() => {
    db = new Database(':memory:');
    db.exec(
      'CREATE TABLE delivery (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE)',
    );
    // ids that are not 1, 2, 3…: a table with history
    db.exec("INSERT INTO delivery (message_id) VALUES ('old-1'), ('old-2'), ('old-3')");
    db.exec("DELETE FROM delivery WHERE message_id = 'old-2'");
  });
  afterEach(() => db.close());

  /** Runs a multi-row INSERT through `returningIds` on a real SQLite, and its RETURNING rows. */
  const insert = (sut: Sql, messageIds: string[]) =>
    db
      .prepare(
        sut.returningIds(
          `INSERT INTO delivery (message_id) VALUES ${messageIds.map(() => '(?)').join(', ')}`,
          'message_id',
        ),
      )
      .all(...messageIds) as { id: number; rowKey: string }[];

  const messageOf = (id: string) =>
    (db.prepare('SELECT message_id AS m FROM delivery WHERE id = ?').get(id) as { m: string }).m;

  it('maps each id to its own row by key, whatever order RETURNING answers in', () => {
    const sut = sqlFor('better-sqlite3');
    const messageIds = ['msg_c', 'msg_a', 'msg_d', 'msg_b'];
    const returned = insert(sut, messageIds);
    for (const order of [returned, [...returned].reverse(), [2, 0, 3, 1].map((i) => returned[i])]) {
      const ids = sut.insertedIds(order, messageIds)!;
      expect(ids.map(messageOf)).toEqual(messageIds);
    }
  });

  it('gives rows with equal keys their ids in ascending order, as VALUES numbered them', () => {
    const sut = sqlFor('better-sqlite3');
    const rows = [
      { id: 12, rowKey: '7 channel_stop 100' },
      { id: 11, rowKey: '7 channel_live 100' },
      { id: 13, rowKey: '7 channel_live 100' },
    ];
    expect(
      sut.insertedIds(rows, ['7 channel_live 100', '7 channel_stop 100', '7 channel_live 100']),
    ).toEqual(['11', '12', '13']);
  });

  it('refuses an answer that lacks a row it asked for', () => {
    const sut = sqlFor('better-sqlite3');
    expect(() => sut.insertedIds([{ id: 1, rowKey: 'a' }], ['a', 'b'])).toThrow(/key b/);
  });

  it('counts from the first id on MySQL, which numbers one statement’s rows in VALUES order', async () => {
    const source: SqlSource = {
      options: { type: 'mysql' },
      query: <T>() => Promise.resolve([{ mode: 1, step: 2 }] as T),
    };
    const sut = new Sql(source as DataSource);
    await sut.onModuleInit();
    expect(sut.returningIds('INSERT …', 'message_id')).toBe('INSERT …');
    expect(sut.insertedIds({ insertId: 41 }, ['a', 'b', 'c'])).toEqual(['41', '43', '45']);
  });
});
