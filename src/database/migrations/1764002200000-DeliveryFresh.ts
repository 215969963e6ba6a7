import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/**
 * delivery (status, attempts, next_attempt_at): a claim finds the due first attempts by it, ahead
 * of a backlog of retries, without reading the retries.
 */
export class DeliveryFresh1764002200000 implements MigrationInterface {
  name = 'DeliveryFresh1764002200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'delivery',
      new TableIndex({
        name: 'IDX_delivery_fresh',
        columnNames: ['status', 'attempts', 'next_attempt_at'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('delivery', 'IDX_delivery_fresh');
  }
}
