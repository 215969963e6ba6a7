import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types.js';

/**
 * A sequence number per channel: `channel_event.sequence` (1 for a channel's first event) and
 * `channel.event_sequence`, the number of its last event. The events kept from before are
 * numbered in the order they were recorded, and each channel goes on from its last one.
 */
export class EventSequence1764001800000 implements MigrationInterface {
  name = 'EventSequence1764001800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { mysql } = columnTypes(queryRunner);
    await queryRunner.addColumn(
      'channel',
      new TableColumn({ name: 'event_sequence', type: 'int', default: 0 }),
    );
    await queryRunner.addColumn(
      'channel_event',
      new TableColumn({ name: 'sequence', type: 'int', default: 0 }),
    );
    await queryRunner.query(
      mysql
        ? 'UPDATE channel_event AS e JOIN (SELECT id, ROW_NUMBER() OVER' +
            ' (PARTITION BY channel_id ORDER BY id) AS n FROM channel_event) AS numbered' +
            ' ON numbered.id = e.id SET e.sequence = numbered.n'
        : 'UPDATE channel_event SET sequence = (SELECT COUNT(*) FROM channel_event AS e' +
            ' WHERE e.channel_id = channel_event.channel_id AND e.id <= channel_event.id)',
    );
    await queryRunner.query(
      'UPDATE channel SET event_sequence = (SELECT COALESCE(MAX(e.sequence), 0)' +
        ' FROM channel_event AS e WHERE e.channel_id = channel.id)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('channel_event', 'sequence');
    await queryRunner.dropColumn('channel', 'event_sequence');
  }
}
