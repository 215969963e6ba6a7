/**
 * Rows of hand-written queries, decoded and typed in one place. The drivers answer the same
 * column in different types (a bigint id is a string from MySQL and a number from SQLite, a time
 * a Date from MySQL and UTC text from SQLite, a flag a number or a boolean): a query's raw result
 * is `unknown` until a schema of field decoders reads it, and the row type is the schema's.
 * Decoders are plain functions, cheap on the hot path.
 */

/** Reads one column's raw value; throws on a value no driver answers for that column. */
export type Decoder<T> = (value: unknown) => T;

export type Schema = Record<string, Decoder<unknown>>;

/** The row a schema decodes. */
export type Row<S extends Schema> = { [K in keyof S]: ReturnType<S[K]> };

function wrong(what: string, value: unknown): Error {
  return new Error(`a query answered ${typeof value} ${String(value)} for ${what}`);
}

/** A bigint id, as a string on both databases (MySQL answers text, SQLite a number). */
function id(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw wrong('an id', value);
}

/** A number: an integer column, a count or a sum (MySQL answers big ones and decimals as text). */
function int(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'bigint') return Number(value);
  throw wrong('a number', value);
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  throw wrong('text', value);
}

/** A boolean column: MySQL's tinyint and SQLite's integer answer 0 or 1. */
function flag(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'string') return Number(value) !== 0;
  throw wrong('a flag', value);
}

/** A stored time: MySQL answers a Date, SQLite UTC text without a zone (TypeORM's format). */
function time(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string') {
    return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value.replace(' ', 'T')}Z`);
  }
  throw wrong('a time', value);
}

/** The column's decoder, answering null for NULL. */
function orNull<T>(decode: Decoder<T>): Decoder<T | null> {
  return (value) => (value === null || value === undefined ? null : decode(value));
}

/** Text of a known set of values (a status, an event name), typed as that set; not checked. */
function textOf<T extends string>(): Decoder<T> {
  return text as Decoder<T>;
}

/** The field decoders of a schema. */
export const field = { id, int, text, flag, time, orNull, textOf };

/** A decoder of a query's rows with this schema: each row holds the schema's fields alone. */
export function rowsOf<S extends Schema>(schema: S): (raw: unknown) => Row<S>[] {
  const fields = Object.entries(schema);
  return (raw) => {
    if (!Array.isArray(raw)) throw new Error('a query answered no rows');
    return raw.map((source: Record<string, unknown>) => {
      const row: Record<string, unknown> = {};
      for (const [name, decode] of fields) row[name] = decode(source[name]);
      return row as Row<S>;
    });
  };
}

/**
 * The id of the one row an INSERT wrote: from SQLite's RETURNING rows, MySQL's result packet
 * (`insertId`), or TypeORM's InsertResult (`identifiers`, which bypass the column transformer).
 */
export function insertedId(result: unknown): string {
  if (Array.isArray(result)) return id((result[0] as { id: unknown }).id);
  const answer = result as { insertId?: unknown; identifiers?: { id?: unknown }[] };
  return id(answer.identifiers ? answer.identifiers[0].id : answer.insertId);
}

/** Rows of one column, `id`. */
export const idRows = rowsOf({ id: field.id });
