import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * What the operator console reads:
 * - delivery_attempt.request_headers / response_headers: each attempt's headers as sent (custom
 *   header values masked) and as answered, as compact JSON text (null: not recorded / no answer);
 * - delivery_attempt (at): the attempts of a time window, for the per-webhook summary;
 * - delivery (webhook_id, last_attempt_at): each webhook's most recent attempt, one index seek;
 * - delivery (event_id): the deliveries of a channel's events, for its timeline;
 * - delivery (message_id): a delivery found by its webhook-id header.
 */
export class DeliveryConsole1764000900000 implements MigrationInterface {
  name = 'DeliveryConsole1764000900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('delivery_attempt', [
      new TableColumn({ name: 'request_headers', type: 'text', isNullable: true }),
      new TableColumn({ name: 'response_headers', type: 'text', isNullable: true }),
    ]);
    await queryRunner.createIndex(
      'delivery_attempt',
      new TableIndex({ name: 'IDX_delivery_attempt_at', columnNames: ['at'] }),
    );
    await queryRunner.createIndices('delivery', [
      new TableIndex({
        name: 'IDX_delivery_last_attempt',
        columnNames: ['webhook_id', 'last_attempt_at'],
      }),
      new TableIndex({ name: 'IDX_delivery_event', columnNames: ['event_id'] }),
      new TableIndex({ name: 'IDX_delivery_message', columnNames: ['message_id'] }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('delivery', 'IDX_delivery_message');
    await queryRunner.dropIndex('delivery', 'IDX_delivery_event');
    await queryRunner.dropIndex('delivery', 'IDX_delivery_last_attempt');
    await queryRunner.dropIndex('delivery_attempt', 'IDX_delivery_attempt_at');
    await queryRunner.dropColumn('delivery_attempt', 'response_headers');
    await queryRunner.dropColumn('delivery_attempt', 'request_headers');
  }
}
