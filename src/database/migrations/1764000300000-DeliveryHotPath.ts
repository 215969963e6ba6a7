import { type MigrationInterface, type QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * What the set-based delivery path needs:
 * - channel_event.fanout_cursor: how far a large fan-out has got (the last webhook id done), so it
 *   commits in chunks and the first deliveries go out while the rest are written;
 * - webhook_state.version: bumped by every change to who gets what and how, so each instance can
 *   keep the subscribers in memory and still see every change before the next fan-out;
 * - delivery.has_followers: set on a line's open deliveries when one is queued behind them, so
 *   finishing a delivery looks for the next of its line only when there is one.
 */
export class DeliveryHotPath1764000300000 implements MigrationInterface {
  name = 'DeliveryHotPath1764000300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.addColumn(
      'channel_event',
      new TableColumn({
        name: 'fanout_cursor',
        type: mysql ? 'bigint' : 'integer',
        isNullable: true,
      }),
    );
    await queryRunner.addColumn(
      'delivery',
      new TableColumn({
        name: 'has_followers',
        type: mysql ? 'tinyint' : 'boolean',
        default: 0,
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_state',
        columns: [
          { name: 'id', type: mysql ? 'int' : 'integer', isPrimary: true },
          { name: 'version', type: mysql ? 'bigint' : 'integer', default: 0 },
        ],
      }),
    );
    await queryRunner.query('INSERT INTO webhook_state (id, version) VALUES (1, 0)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webhook_state');
    await queryRunner.dropColumn('delivery', 'has_followers');
    await queryRunner.dropColumn('channel_event', 'fanout_cursor');
  }
}
