import type { Pipeline } from '../database/pipeline.js';
import type { Sql, SqlValue } from '../database/sql.js';
import { DeliveryStatus } from './delivery.entity.js';
import type { AttemptResult } from './delivery.sender.js';
import type { Decision } from './retry-policy.js';

/** Characters of an attempt's error kept in the log. */
export const ERROR_LIMIT = 1024;

/** An attempt's outcome as the delivery row keeps it. */
export interface Outcome {
  delivery: { id: string };
  result: Pick<AttemptResult, 'statusCode' | 'error' | 'at'>;
  decision: Decision;
}

/**
 * Every outcome of a batch in one UPDATE, each column chosen per delivery, deferred in the
 * caller's transaction; only the lease holder's outcome counts.
 */
export function writeOutcomes(tx: Pipeline, db: Sql, completions: Outcome[], owner: string): void {
  const ids = completions.map(({ delivery }) => delivery.id);
  const values: SqlValue[] = [];
  const column = (valueOf: (completion: Outcome) => { sql: string; values: SqlValue[] }) =>
    `CASE id ${completions
      .map((completion) => {
        const { sql, values: bound } = valueOf(completion);
        values.push(completion.delivery.id, ...bound);
        return `WHEN ? THEN ${sql}`;
      })
      .join(' ')} END`;
  const value = (bound: SqlValue) => ({ sql: '?', values: [bound] });
  const set = [
    `status = ${column(({ decision }) => value(statusAfter(decision)))}`,
    `next_attempt_at = ${column(({ decision }) =>
      decision.kind === 'retry'
        ? { sql: db.nowPlus, values: [db.later(decision.waitMs)] }
        : { sql: 'NULL', values: [] },
    )}`,
    `last_status_code = ${column(({ result }) => value(result.statusCode))}`,
    `last_error = ${column(({ result }) => value(result.error?.slice(0, ERROR_LIMIT) ?? null))}`,
    `last_attempt_at = ${column(({ result }) => value(db.time(result.at)))}`,
  ];
  tx.defer(
    `UPDATE delivery SET ${set.join(', ')}, attempts = attempts + 1, lease_owner = NULL,` +
      ` lease_until = NULL, updated_at = ? WHERE id IN (${db.list(ids.length)})` +
      ' AND lease_owner = ?',
    [...values, db.time(new Date()), ...ids, owner],
  );
}

function statusAfter(decision: Decision): DeliveryStatus {
  if (decision.kind === 'succeeded') return DeliveryStatus.Succeeded;
  return decision.kind === 'retry' ? DeliveryStatus.Pending : DeliveryStatus.Failed;
}
