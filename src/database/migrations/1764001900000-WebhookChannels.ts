import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * webhook.channels: the channels a webhook is limited to, as a JSON array of id strings; null (every
 * existing webhook) for every channel.
 */
export class WebhookChannels1764001900000 implements MigrationInterface {
  name = 'WebhookChannels1764001900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'webhook',
      new TableColumn({ name: 'channels', type: 'text', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('webhook', 'channels');
  }
}
