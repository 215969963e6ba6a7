import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableForeignKey,
  TableIndex,
} from 'typeorm';
import { columnTypes } from './column-types.js';

export class CreateWebhooks1764000000000 implements MigrationInterface {
  name = 'CreateWebhooks1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'webhook',
        columns: [
          t.id(),
          { name: 'uri', type: 'varchar', length: '2048' },
          t.bool('active', true),
          { name: 'secret', type: 'varchar', length: '128' },
          { name: 'previous_secret', type: 'varchar', length: '128', isNullable: true },
          t.time('previous_secret_expires_at'),
          t.time('failing_since'),
          { name: 'disabled_reason', type: 'varchar', length: '255', isNullable: true },
          t.createdAt(),
          t.updatedAt(),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_event',
        columns: [
          { ...t.ref('webhook_id'), isPrimary: true },
          { name: 'event', type: 'varchar', length: '64', isPrimary: true },
          { name: 'position', type: 'smallint' },
        ],
        indices: [
          new TableIndex({ name: 'IDX_webhook_event_event', columnNames: ['event', 'webhook_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_webhook_event_webhook',
            columnNames: ['webhook_id'],
            referencedTableName: 'webhook',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_event');
    await queryRunner.dropTable('webhook');
  }
}
