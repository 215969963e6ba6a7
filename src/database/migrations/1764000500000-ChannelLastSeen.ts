import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * channel.last_seen_at: the last hook a live channel's media server sent (publish, or an update
 * such as nginx-rtmp's on_update). With INGEST_STALE_AFTER set, a live channel not seen for that
 * long is stopped as if its publish_done had come.
 */
export class ChannelLastSeen1764000500000 implements MigrationInterface {
  name = 'ChannelLastSeen1764000500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'channel',
      new TableColumn({ name: 'last_seen_at', type: 'datetime', precision: 3, isNullable: true }),
    );
    await queryRunner.query("UPDATE channel SET last_seen_at = updated_at WHERE status = 'live'");
    await queryRunner.createIndex(
      'channel',
      new TableIndex({ name: 'IDX_channel_last_seen', columnNames: ['status', 'last_seen_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('channel', 'IDX_channel_last_seen');
    await queryRunner.dropColumn('channel', 'last_seen_at');
  }
}
