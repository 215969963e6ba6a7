import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types.js';

/**
 * delivery.test: a test sent by POST /v1/webhook/{id}/test, a ping or (from now on) an example of
 * another event. Until now every test was a ping, and a ping nothing but a test.
 */
export class DeliveryTest1764002000000 implements MigrationInterface {
  name = 'DeliveryTest1764002000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'delivery',
      new TableColumn(columnTypes(queryRunner).bool('test', false)),
    );
    await queryRunner.query("UPDATE delivery SET test = 1 WHERE event = 'ping'");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('delivery', 'test');
  }
}
