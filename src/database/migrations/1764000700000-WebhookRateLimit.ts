import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/** webhook.rate_limit: at most this many deliveries per second to the webhook (null: no limit). */
export class WebhookRateLimit1764000700000 implements MigrationInterface {
  name = 'WebhookRateLimit1764000700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'webhook',
      new TableColumn({ name: 'rate_limit', type: 'int', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('webhook', 'rate_limit');
  }
}
