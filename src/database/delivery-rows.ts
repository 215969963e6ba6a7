import type { EntityManager } from 'typeorm';
import type { Sql } from './sql.js';

/**
 * Deletes deliveries by id, their attempts first (no attempt is ever left without its delivery),
 * in the caller's transaction: the retention's purge and a webhook's delete, a bounded chunk of
 * ids at a time, rather than the foreign keys' unbounded cascade.
 */
export async function deleteDeliveries(
  manager: EntityManager,
  sql: Sql,
  ids: string[],
): Promise<void> {
  if (ids.length === 0) return;
  await manager.query(
    `DELETE FROM delivery_attempt WHERE delivery_id IN (${sql.list(ids.length)})`,
    ids,
  );
  await manager.query(`DELETE FROM delivery WHERE id IN (${sql.list(ids.length)})`, ids);
}
