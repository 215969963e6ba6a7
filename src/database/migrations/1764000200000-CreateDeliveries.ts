import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { columnTypes } from './column-types.js';

export class CreateDeliveries1764000200000 implements MigrationInterface {
  name = 'CreateDeliveries1764000200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'delivery',
        columns: [
          t.id(),
          t.ref('webhook_id'),
          t.ref('channel_id', true),
          t.ref('event_id', true),
          { name: 'event', type: 'varchar', length: '32' },
          { name: 'message_id', type: 'varchar', length: '64' },
          { name: 'body', type: 'text', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'int', default: 0 },
          { name: 'max_attempts', type: 'int' },
          t.time('next_attempt_at'),
          t.time('lease_until'),
          { name: 'lease_owner', type: 'varchar', length: '64', isNullable: true },
          { name: 'last_status_code', type: 'int', isNullable: true },
          { name: 'last_error', type: 'varchar', length: '1024', isNullable: true },
          t.time('last_attempt_at'),
          t.time('created_at', false),
          t.time('updated_at', false),
        ],
        indices: [
          new TableIndex({ name: 'IDX_delivery_due', columnNames: ['status', 'next_attempt_at'] }),
          new TableIndex({
            name: 'IDX_delivery_line',
            columnNames: ['channel_id', 'webhook_id', 'status', 'id'],
          }),
          new TableIndex({ name: 'IDX_delivery_log', columnNames: ['webhook_id', 'id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_delivery_webhook',
            columnNames: ['webhook_id'],
            referencedTableName: 'webhook',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'delivery_attempt',
        columns: [
          t.id(),
          t.ref('delivery_id'),
          t.time('at', false),
          { name: 'status_code', type: 'int', isNullable: true },
          { name: 'duration_ms', type: 'int' },
          { name: 'error', type: 'varchar', length: '1024', isNullable: true },
          // 64 KiB of text can be more than 64 KiB of UTF-8: MEDIUMTEXT on MySQL.
          { name: 'response_body', type: t.mysql ? 'mediumtext' : 'text', isNullable: true },
        ],
        indices: [
          new TableIndex({
            name: 'IDX_delivery_attempt_delivery',
            columnNames: ['delivery_id', 'id'],
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_delivery_attempt_delivery',
            columnNames: ['delivery_id'],
            referencedTableName: 'delivery',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('delivery_attempt');
    await queryRunner.dropTable('delivery');
  }
}
