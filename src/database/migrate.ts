import type { DataSource } from 'typeorm';
import { field, rowsOf } from './rows.js';

const MIGRATION_LOCK = 'channel-webhooks:migrations';
/** GET_LOCK answers 1 (taken), 0 (timed out) or NULL (an error). */
const LOCK_TAKEN = rowsOf({ got: field.orNull(field.int) });

/**
 * Applies pending migrations. On MySQL under a named lock, so instances that start together
 * do not race; SQLite is one process and needs none.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.type !== 'mysql') {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  }
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
