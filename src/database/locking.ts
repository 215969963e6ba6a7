import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

/**
 * `SELECT … FOR UPDATE` on MySQL (with `SKIP LOCKED` when asked, so several instances can share
 * a queue). SQLite has no row locks and needs none: the service queues its transactions there
 * (see Transactions), so a transaction already sees and holds its rows alone.
 */
export function forUpdate<T extends ObjectLiteral>(
  builder: SelectQueryBuilder<T>,
  options: { skipLocked?: boolean } = {},
): SelectQueryBuilder<T> {
  if (builder.connection.driver.options.type !== 'mysql') return builder;
  builder.setLock('pessimistic_write');
  return options.skipLocked ? builder.setOnLocked('skip_locked') : builder;
}
