import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from './data-source.token.js';
import type { DataSource, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { field, rowsOf } from './rows.js';

/** A value bound to a statement: both drivers take these. */
export type SqlValue = string | number | Date | null;

/**
 * The few ways MySQL and SQLite differ for the hand-written statements of the hot path: the
 * database's clock (so every instance measures leases and due times by one clock), times as
 * bound values, and row locks. Statements use `?` placeholders on both.
 */
@Injectable()
export class Sql implements OnModuleInit {
  readonly mysql: boolean;
  /** The database's current time, UTC, to the millisecond. */
  readonly now: string;
  /** MySQL hands a multi-row insert consecutive ids (innodb_autoinc_lock_mode 0 or 1), this far apart. */
  private idStep: number | undefined;

  /** Whether one multi-row INSERT's ids can be told from its result (see `insertedIds`). */
  get consecutiveIds(): boolean {
    return !this.mysql || this.idStep !== undefined;
  }

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.mysql = dataSource.options.type === 'mysql';
    this.now = this.mysql ? 'UTC_TIMESTAMP(3)' : "strftime('%Y-%m-%d %H:%M:%f', 'now')";
  }

  async onModuleInit(): Promise<void> {
    if (!this.mysql) return;
    const [row] = AUTOINC(
      await this.dataSource.query(
        'SELECT @@innodb_autoinc_lock_mode AS mode, @@auto_increment_increment AS step',
      ),
    );
    if (row.mode <= 1) this.idStep = row.step;
  }

  /**
   * An INSERT whose result answers the new ids: on SQLite each with `key`, an SQL expression of
   * the row's own columns that tells the rows apart (see `insertedIds`); MySQL answers the first id.
   */
  returningIds(insert: string, key: string): string {
    return this.mysql ? insert : `${insert} RETURNING id, ${key} AS rowKey`;
  }

  /**
   * The ids of the rows a `returningIds` INSERT wrote, in the order of `keys` (each row's key, as
   * the INSERT's `key` expression reads it); undefined on a MySQL that does not hand one statement
   * consecutive ids (innodb_autoinc_lock_mode 2). SQLite does not promise RETURNING's order, so
   * its rows are matched by key, never by position; rows with equal keys (the same values) take
   * their ids in ascending order, as one statement's rows are numbered in VALUES order.
   */
  insertedIds(result: unknown, keys: string[]): string[] | undefined {
    if (Array.isArray(result)) return idsByKey(RETURNED(result), keys);
    if (this.idStep === undefined) return undefined;
    const first = BigInt(field.id((result as { insertId: unknown }).insertId));
    const step = BigInt(this.idStep);
    return keys.map((_, index) => String(first + BigInt(index) * step));
  }

  /** An UPDATE whose result tells how many rows it changed (see `changed`). */
  counting(update: string): string {
    return this.mysql ? update : `${update} RETURNING 1`;
  }

  /** How many rows a `counting` UPDATE changed. */
  changed(result: unknown): number {
    if (Array.isArray(result)) return result.length;
    return Number((result as { affectedRows?: number }).affectedRows ?? 0);
  }

  /** The database's time `ms` from now; binds one value (see `later`). */
  get nowPlus(): string {
    return this.mysql
      ? '(UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND)'
      : "strftime('%Y-%m-%d %H:%M:%f', 'now', ?)";
  }

  /** The value that `nowPlus` binds for `ms` milliseconds. */
  later(ms: number): SqlValue {
    const whole = Math.round(ms);
    return this.mysql ? whole * 1000 : `${whole >= 0 ? '+' : ''}${whole / 1000} seconds`;
  }

  /** Milliseconds from a stored time (an SQL expression) to the database's now. */
  ageMs(expression: string): string {
    return this.mysql
      ? `TIMESTAMPDIFF(MICROSECOND, ${expression}, UTC_TIMESTAMP(3)) / 1000`
      : `(julianday('now') - julianday(${expression})) * 86400000`;
  }

  /** A time as both drivers store it (TypeORM's format on SQLite: UTC text). */
  time(date: Date): SqlValue {
    return this.mysql ? date : date.toISOString().replace('T', ' ').slice(0, 23);
  }

  /**
   * Row locks for a SELECT: FOR UPDATE on MySQL (with SKIP LOCKED when asked, so several
   * instances can share a queue). SQLite has no row locks and needs none: the service queues its
   * transactions there (see Transactions), so a transaction already sees and holds its rows alone.
   */
  forUpdate(skipLocked = false): string {
    if (!this.mysql) return '';
    return skipLocked ? ' FOR UPDATE SKIP LOCKED' : ' FOR UPDATE';
  }

  /** The same row locks (`forUpdate`) on a query builder's SELECT. */
  lockRows<T extends ObjectLiteral>(builder: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
    return this.forUpdate() === '' ? builder : builder.setLock('pessimistic_write');
  }

  /** `?, ?, ?` for a list of n values. */
  list(n: number): string {
    return n === 0 ? 'NULL' : Array.from({ length: n }, () => '?').join(', ');
  }
}

const AUTOINC = rowsOf({ mode: field.int, step: field.int });
/** The rows a `returningIds` INSERT answers on SQLite (its key as text, as `keys` hold it). */
const RETURNED = rowsOf({ id: field.id, rowKey: (value) => String(value) });

/** Each key's id, from the rows RETURNING answered in whatever order. */
function idsByKey(rows: { id: string; rowKey: string }[], keys: string[]): string[] {
  const idsOf = new Map<string, bigint[]>();
  for (const row of rows) {
    const key = row.rowKey;
    const ids = idsOf.get(key) ?? [];
    ids.push(BigInt(row.id));
    idsOf.set(key, ids);
  }
  for (const ids of idsOf.values()) ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const taken = new Map<string, number>();
  return keys.map((key) => {
    const index = taken.get(key) ?? 0;
    const id = idsOf.get(key)?.[index];
    if (id === undefined) throw new Error(`the INSERT answered no row for key ${key}`);
    taken.set(key, index + 1);
    return String(id);
  });
}
