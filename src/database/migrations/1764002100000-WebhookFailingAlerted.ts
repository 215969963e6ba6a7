import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types.js';

/**
 * webhook.failing_alerted: the webhook's failing run has been told of (webhook_failing), so it is
 * told once per run, and its end (webhook_recovered) once too.
 */
export class WebhookFailingAlerted1764002100000 implements MigrationInterface {
  name = 'WebhookFailingAlerted1764002100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'webhook',
      new TableColumn(columnTypes(queryRunner).bool('failing_alerted', false)),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('webhook', 'failing_alerted');
  }
}
