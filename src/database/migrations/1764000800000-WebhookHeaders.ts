import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/** webhook.headers: the webhook's own headers sent on every attempt, as JSON text (null: none). */
export class WebhookHeaders1764000800000 implements MigrationInterface {
  name = 'WebhookHeaders1764000800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'webhook',
      new TableColumn({ name: 'headers', type: 'text', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('webhook', 'headers');
  }
}
