import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transactions } from '../src/database/transactions.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

/**
 * Another connection that commits a short write transaction every millisecond on the same file
 * for `ms`, as the delivery thread does through a drain (its own thread, its own connection).
 */
function committer(path: string, ms: number): { done: Promise<number>; worker: Worker } {
  const source = `
    const { workerData, parentPort } = require('node:worker_threads');
    const Sqlite = require(workerData.driver);
    const db = new Sqlite(workerData.path);
    db.pragma('busy_timeout = 5000');
    db.exec('CREATE TABLE IF NOT EXISTS committer (n INTEGER)');
    const insert = db.prepare('INSERT INTO committer (n) VALUES (?)');
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const until = Date.now() + workerData.ms;
    let commits = 0;
    parentPort.postMessage('started');
    while (Date.now() < until) {
      db.exec('BEGIN IMMEDIATE');
      insert.run(commits);
      db.exec('COMMIT');
      commits++;
      Atomics.wait(pause, 0, 0, 1);
    }
    db.close();
    parentPort.postMessage(commits);
  `;
  const worker = new Worker(source, {
    eval: true,
    workerData: { path, ms, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
  });
  const done = new Promise<number>((resolve, reject) => {
    worker.on('message', (message: unknown) => {
      if (typeof message === 'number') resolve(message);
    });
    worker.on('error', reject);
  });
  return { done, worker };
}

const started = (worker: Worker) =>
  new Promise<void>((resolve) => worker.once('message', () => resolve()));

/**
 * SQLite with a second writer on the file (role `both`: the API thread and the delivery thread
 * each have a connection): the service's transactions that read before they write still get in.
 */
describe('SQLite write lock', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('gets a read-then-write transaction in while another connection keeps committing', async () => {
    const transactions = t.app.get(Transactions);
    const path = t.database.url.slice('sqlite:'.length);
    await transactions.run((manager) => manager.query('CREATE TABLE probe (n INTEGER)'));
    const other = committer(path, 3_000);
    await started(other.worker);

    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, n) =>
        transactions.run(async (manager) => {
          const [{ count }] = await manager.query<{ count: number }[]>(
            'SELECT COUNT(*) AS count FROM probe',
          );
          // A turn of the event loop between the read and the write, as in the service's own
          // transactions: the other connection commits meanwhile.
          await new Promise((resolve) => setTimeout(resolve, 5));
          await manager.query('INSERT INTO probe (n) VALUES (?)', [count + n]);
        }),
      ),
    );
    const commits = await other.done;

    expect(commits).toBeGreaterThan(100);
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const [{ count }] = await t.app
      .get(Transactions)
      .run((manager) => manager.query<{ count: number }[]>('SELECT COUNT(*) AS count FROM probe'));
    expect(count).toBe(20);
  });
});
