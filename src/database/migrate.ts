import type { DataSource } from 'typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLockContention } from './database-status.js';
import { field, rowsOf } from './rows.js';

const MIGRATION_LOCK = 'channel-webhooks:migrations';
/** GET_LOCK answers 1 (taken), 0 (timed out) or NULL (an error). */
const LOCK_TAKEN = rowsOf({ got: field.orNull(field.int) });
const COUNT = rowsOf({ applied: field.int });
/** How long a process waits for another that is migrating the same database. */
const MIGRATION_WAIT_MS = 120_000;
const SQLITE_RETRY_MS = 100;

/**
 * Applies pending migrations. On MySQL under a named lock, so instances that start together
 * do not race; on SQLite see migrateSqlite.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.type !== 'mysql') return migrateSqlite(dataSource);
  const runner = dataSource.createQueryRunner();
  try {
    const [row] = LOCK_TAKEN(
      await runner.query('SELECT GET_LOCK(?, 120) AS got', [MIGRATION_LOCK]),
    );
    if (row?.got !== 1) throw new Error('could not take the migration lock within 120 s');
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((migration) => migration.name);
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * SQLite has no named lock, and one file may serve two processes (an api and a worker starting
 * together). Each migration is its own transaction; a process that loses a race (it read the
 * applied list, or found no table of them, before the other wrote it; or it waited past
 * busy_timeout for the other's write lock) reads the list again and goes on from there, while
 * the other makes progress, for up to MIGRATION_WAIT_MS. A migration that fails with no one else
 * migrating fails the start. Answers the migrations its last run applied.
 */
async function migrateSqlite(dataSource: DataSource): Promise<string[]> {
  const deadline = Date.now() + MIGRATION_WAIT_MS;
  for (;;) {
    const before = await appliedCount(dataSource);
    try {
      const run = await dataSource.runMigrations({ transaction: 'each' });
      return run.map((migration) => migration.name);
    } catch (error) {
      const raced = isLockContention(error) || (await appliedCount(dataSource)) > before;
      if (!raced || Date.now() > deadline) throw error;
      await sleep(SQLITE_RETRY_MS);
    }
  }
}

/** How many migrations the database has recorded (-1 before their table exists). */
async function appliedCount(dataSource: DataSource): Promise<number> {
  const [table] = await dataSource.query<unknown[]>(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'",
  );
  if (!table) return -1;
  const [row] = COUNT(await dataSource.query('SELECT COUNT(*) AS applied FROM migrations'));
  return row?.applied ?? 0;
}
