import type { QueryRunner, TableColumnOptions } from 'typeorm';

/** Column shapes that differ between MySQL and SQLite, so one migration serves both. */
export function columnTypes(queryRunner: QueryRunner) {
  const mysql = queryRunner.connection.driver.options.type === 'mysql';
  const now = mysql ? 'CURRENT_TIMESTAMP(3)' : "(strftime('%Y-%m-%d %H:%M:%f', 'now'))";
  return {
    mysql,
    id: (name = 'id'): TableColumnOptions => ({
      name,
      type: mysql ? 'bigint' : 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment',
    }),
    ref: (name: string, nullable = false): TableColumnOptions => ({
      name,
      type: mysql ? 'bigint' : 'integer',
      isNullable: nullable,
    }),
    time: (name: string, nullable = true): TableColumnOptions => ({
      name,
      type: 'datetime',
      precision: mysql ? 3 : undefined,
      isNullable: nullable,
    }),
    createdAt: (): TableColumnOptions => ({
      name: 'created_at',
      type: 'datetime',
      precision: mysql ? 3 : undefined,
      default: now,
    }),
    updatedAt: (): TableColumnOptions => ({
      name: 'updated_at',
      type: 'datetime',
      precision: mysql ? 3 : undefined,
      default: now,
      onUpdate: mysql ? 'CURRENT_TIMESTAMP(3)' : undefined,
    }),
    bool: (name: string, defaultValue: boolean): TableColumnOptions => ({
      name,
      type: mysql ? 'tinyint' : 'boolean',
      default: defaultValue ? 1 : 0,
    }),
  };
}
