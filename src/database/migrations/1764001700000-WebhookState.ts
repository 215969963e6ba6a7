import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types.js';

/** What a pause by PUT wrote as the reason before the state had a column of its own. */
const PAUSED_BY_PUT = 'paused by PUT';

/**
 * webhook.state (`active`, `paused` by its owner, `disabled` by the service) in place of the
 * `active` flag, where paused and disabled were told apart by the reason's text. The reason stays
 * beside it, for disabled webhooks only.
 */
export class WebhookState1764001700000 implements MigrationInterface {
  name = 'WebhookState1764001700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'webhook',
      new TableColumn({ name: 'state', type: 'varchar', length: '16', default: "'active'" }),
    );
    await queryRunner.query(
      "UPDATE webhook SET state = CASE WHEN active = 1 THEN 'active'" +
        " WHEN disabled_reason = ? THEN 'paused' ELSE 'disabled' END",
      [PAUSED_BY_PUT],
    );
    await queryRunner.query(
      "UPDATE webhook SET disabled_reason = NULL WHERE state IN ('active', 'paused')",
    );
    await queryRunner.dropColumn('webhook', 'active');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'webhook',
      new TableColumn(columnTypes(queryRunner).bool('active', true)),
    );
    await queryRunner.query(
      "UPDATE webhook SET active = CASE WHEN state = 'active' THEN 1 ELSE 0 END," +
        " disabled_reason = CASE WHEN state = 'paused' THEN ? ELSE disabled_reason END",
      [PAUSED_BY_PUT],
    );
    await queryRunner.dropColumn('webhook', 'state');
  }
}
