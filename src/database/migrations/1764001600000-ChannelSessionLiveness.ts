import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * What tells a live session's publisher is gone: the media server that published it
 * (`session_media_server`, the hook caller's address), the gap between its last two hooks
 * (`heartbeat_ms`, its update interval), and whether a stop came from the stale check rather than
 * from its media server (`stopped_stale`). All nullable: rows from before know none of it, and
 * are treated as before.
 */
export class ChannelSessionLiveness1764001600000 implements MigrationInterface {
  name = 'ChannelSessionLiveness1764001600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.addColumns('channel', [
      new TableColumn({
        name: 'session_media_server',
        type: 'varchar',
        length: '64',
        isNullable: true,
      }),
      new TableColumn({ name: 'heartbeat_ms', type: 'int', isNullable: true }),
      new TableColumn({
        name: 'stopped_stale',
        type: mysql ? 'tinyint' : 'boolean',
        isNullable: true,
      }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('channel', [
      'stopped_stale',
      'heartbeat_ms',
      'session_media_server',
    ]);
  }
}
