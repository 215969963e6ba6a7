import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * channel.session_stream_key: the stream key the live session was published with. A key rotated
 * during a session still stops that session (its media server sends publish_done with the key it
 * published with); only publishing needs the current key.
 */
export class SessionStreamKey1764000400000 implements MigrationInterface {
  name = 'SessionStreamKey1764000400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'channel',
      new TableColumn({
        name: 'session_stream_key',
        type: 'varchar',
        length: '64',
        isNullable: true,
      }),
    );
    await queryRunner.query(
      "UPDATE channel SET session_stream_key = stream_key WHERE status IN ('live', 'stopped')",
    );
    await queryRunner.createIndex(
      'channel',
      new TableIndex({
        name: 'IDX_channel_session_stream_key',
        columnNames: ['session_stream_key'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('channel', 'IDX_channel_session_stream_key');
    await queryRunner.dropColumn('channel', 'session_stream_key');
  }
}
