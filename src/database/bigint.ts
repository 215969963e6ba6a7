import { PrimaryColumn, type ValueTransformer } from 'typeorm';
import { field } from './rows.js';

/**
 * bigint columns come back as strings from MySQL and as numbers from SQLite: ids are read as
 * strings on both, so entities and services carry one type.
 */
export const bigintId: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: unknown) => (value === null || value === undefined ? value : field.id(value)),
};

/** A bigint that holds a number (milliseconds since the epoch), read as a number on both. */
export const bigintNumber: ValueTransformer = {
  to: (value: unknown) => value,
  from: (value: unknown) => (value === null || value === undefined ? value : field.int(value)),
};

/** An auto-increment bigint primary key, read as a string. */
export const BigIntPrimaryKey = (): PropertyDecorator =>
  PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintId });
