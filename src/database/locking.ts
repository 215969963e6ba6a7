import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

/**
 * `SELECT … FOR UPDATE` on MySQL. SQLite has no row locks and needs none: its writers are
 * serialised on one connection, so a transaction there already sees and holds the row alone.
 */
export function forUpdate<T extends ObjectLiteral>(
  builder: SelectQueryBuilder<T>,
): SelectQueryBuilder<T> {
  return builder.connection.driver.options.type === 'mysql'
    ? builder.setLock('pessimistic_write')
    : builder;
}
