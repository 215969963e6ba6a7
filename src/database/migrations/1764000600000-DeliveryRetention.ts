import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/** delivery (status, updated_at): DELIVERY_RETENTION finds the oldest finished deliveries by it. */
export class DeliveryRetention1764000600000 implements MigrationInterface {
  name = 'DeliveryRetention1764000600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'delivery',
      new TableIndex({ name: 'IDX_delivery_finished', columnNames: ['status', 'updated_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('delivery', 'IDX_delivery_finished');
  }
}
