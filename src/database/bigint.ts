import { type InsertResult, PrimaryColumn, type ValueTransformer } from 'typeorm';

/**
 * bigint columns come back as strings from MySQL and as numbers from SQLite: ids are read as
 * strings on both, so entities and services carry one type.
 */
export const bigintId: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: string | number | null | undefined) =>
    value === null || value === undefined ? value : String(value),
};

/** A bigint that holds a number (milliseconds since the epoch), read as a number on both. */
export const bigintNumber: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: string | number | null | undefined) =>
    value === null || value === undefined ? value : Number(value),
};

/** An auto-increment bigint primary key, read as a string. */
export const BigIntPrimaryKey = (): PropertyDecorator =>
  PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintId });

/** The id of the one row an insert wrote (insert results bypass the column transformer). */
export function insertedId(result: InsertResult): string {
  return String((result.identifiers[0] as { id: string | number }).id);
}
