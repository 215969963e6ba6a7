import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * channel_event.trace_parent: the W3C traceparent of the transition that recorded the event, with
 * tracing on (null otherwise), so that its fan-out and every attempt, however late and on
 * whichever instance, join the event's trace.
 */
export class EventTraceParent1764002300000 implements MigrationInterface {
  name = 'EventTraceParent1764002300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'channel_event',
      new TableColumn({ name: 'trace_parent', type: 'varchar', length: '55', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('channel_event', 'trace_parent');
  }
}
