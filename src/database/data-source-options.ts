import Sqlite from 'better-sqlite3';
import mysql2 from 'mysql2';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { MIGRATIONS } from './migrations/index.js';

/**
 * The one data-source definition, used by the app and by the TypeORM CLI (ormconfig.ts).
 * Migrations are listed as classes so the same options work from src and dist. The app registers
 * its entities module by module (autoLoadEntities); the CLI passes its own list.
 */
export function dataSourceOptions(
  database: DatabaseConfig,
  entities: DataSourceOptions['entities'] = [],
): DataSourceOptions {
  const common = {
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    // Query logging would print bound parameters: secrets and stream keys among them.
    logging: false,
  };
  if (database.type === 'mysql') {
    return {
      ...common,
      type: 'mysql',
      url: database.url,
      timezone: 'Z',
      charset: 'utf8mb4_unicode_ci',
      supportBigNumbers: true,
      bigNumberStrings: true,
      driver: withReadCommittedSessions(mysql2),
      // trace: no stack captured for every query (its cost shows in profiles of the hot path);
      // multipleStatements: a pipelined transaction sends a batch of statements in one round trip
      // (every value is bound by the driver; no statement is built from input)
      extra: { connectionLimit: 20, trace: false, multipleStatements: true },
    };
  }
  if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: database.path,
    driver: withImmediateTransactions(Sqlite),
    enableWAL: true,
    prepareDatabase: (db: { pragma: (source: string) => unknown }) => {
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
    },
  };
}

/**
 * mysql2, with every pooled connection set to READ COMMITTED once, when it opens (rather than a
 * SET before each transaction): locking reads then lock the rows they find and no gaps around
 * them, so fan-outs of neighbouring channels do not block each other.
 */
function withReadCommittedSessions(driver: typeof mysql2): typeof mysql2 {
  return {
    ...driver,
    createPool: ((config: mysql2.PoolOptions) => {
      const pool = driver.createPool(config);
      pool.on('connection', (connection) => {
        connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
      });
      return pool;
    }) as typeof mysql2.createPool,
  };
}

/** What TypeORM begins a transaction with on SQLite, and what the service begins one with. */
const BEGIN = 'BEGIN TRANSACTION';
const BEGIN_IMMEDIATE = 'BEGIN IMMEDIATE TRANSACTION';

/**
 * better-sqlite3, with every transaction TypeORM begins taking the file's write lock at once
 * (BEGIN IMMEDIATE). Two threads (the API's and the delivery worker's, role `both`) or processes
 * write to one file; a transaction begun DEFERRED reads first and asks for the lock at its first
 * write, and if the other connection committed in between SQLite refuses it at once
 * (SQLITE_BUSY_SNAPSHOT), without waiting: under a steady stream of the worker's commits a hook's
 * or a recover's read-then-write transaction lost every try. Begun IMMEDIATE it waits for the lock
 * (busy_timeout) and, once in, reads and writes what no one else can change.
 */
function withImmediateTransactions(driver: typeof Sqlite): typeof Sqlite {
  return function open(...args: ConstructorParameters<typeof Sqlite>) {
    const db = new driver(...args);
    const prepare = db.prepare.bind(db);
    db.prepare = (source: string) => prepare(source === BEGIN ? BEGIN_IMMEDIATE : source);
    return db;
  } as unknown as typeof Sqlite;
}
