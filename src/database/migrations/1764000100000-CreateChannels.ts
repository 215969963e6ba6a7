import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from './column-types.js';

export class CreateChannels1764000100000 implements MigrationInterface {
  name = 'CreateChannels1764000100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const t = columnTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'channel',
        columns: [
          t.id(),
          { name: 'name', type: 'varchar', length: '255' },
          { name: 'description', type: 'text', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'reconnect_window', type: 'int' },
          { name: 'stream_key', type: 'varchar', length: '64' },
          { name: 'session_id', type: 'varchar', length: '64', isNullable: true },
          t.time('live_at'),
          t.time('stopped_at'),
          t.time('ended_at'),
          t.time('end_due_at'),
          t.time('created_at', false),
          t.time('updated_at', false),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_channel_stream_key',
            columnNames: ['stream_key'],
            isUnique: true,
          }),
          new TableIndex({ name: 'IDX_channel_end_due', columnNames: ['status', 'end_due_at'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'channel_event',
        columns: [
          t.id(),
          { name: 'name', type: 'varchar', length: '32' },
          t.ref('channel_id'),
          { name: 'session_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'event_time', type: 'bigint' },
          { name: 'body', type: 'text' },
          t.time('dispatched_at'),
          t.time('created_at', false),
        ],
        indices: [
          new TableIndex({
            name: 'IDX_channel_event_undispatched',
            columnNames: ['dispatched_at', 'id'],
          }),
          new TableIndex({ name: 'IDX_channel_event_channel', columnNames: ['channel_id', 'id'] }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('channel_event');
    await queryRunner.dropTable('channel');
  }
}
