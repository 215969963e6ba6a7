import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from './column-types.js';

/**
 * delivery_attempt.response_truncated: the answer's body was longer than the log keeps of it
 * (DELIVERY_RESPONSE_MAX_BYTES, or …_SUCCESS for a 2xx).
 */
export class AttemptResponseTruncated1764001500000 implements MigrationInterface {
  name = 'AttemptResponseTruncated1764001500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'delivery_attempt',
      new TableColumn(columnTypes(queryRunner).bool('response_truncated', false)),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('delivery_attempt', 'response_truncated');
  }
}
