import { randomBytes } from 'node:crypto';
import { Sql, type SqlValue } from '../../src/database/sql.js';
import { Transactions } from '../../src/database/transactions.js';
import type { TestApp } from './test-app.js';

export interface SeedOptions {
  webhookId: string;
  /** Deliveries (and events: one each) to write. */
  count: number;
  /** Channel ids the events go to, round robin: event i belongs to channels[i % length]. */
  channels: number;
  /** Stored status of every delivery. */
  status?: 'failed' | 'succeeded' | 'pending';
  /** Attempts logged per delivery. */
  attemptsEach?: number;
  /** created_at / updated_at of the rows. */
  at?: Date;
  /** Channel ids start after this one (so seeds of one test do not share lines). */
  firstChannel?: number;
}

const ROWS_PER_INSERT = 500;

/**
 * Writes deliveries as the service leaves them after their last attempt, fast: one outbox event
 * per delivery (dispatched), the delivery row, and its attempts, in multi-row inserts, through the
 * app's own transactions (so nothing interleaves with the service's writes).
 */
export async function seedDeliveries(t: TestApp, options: SeedOptions): Promise<string[]> {
  const sql = t.app.get(Sql);
  const transactions = t.app.get(Transactions);
  const status = options.status ?? 'failed';
  const attemptsEach = options.attemptsEach ?? 1;
  const at = sql.time(options.at ?? new Date());
  const firstChannel = options.firstChannel ?? 1_000_000;
  const ids: string[] = [];
  for (let start = 0; start < options.count; start += ROWS_PER_INSERT) {
    const size = Math.min(ROWS_PER_INSERT, options.count - start);
    const channelOf = (index: number) => firstChannel + ((start + index) % options.channels);
    await transactions.run(async (manager) => {
      const eventValues: SqlValue[] = [];
      for (let index = 0; index < size; index++) {
        const channelId = channelOf(index);
        const body = JSON.stringify({ event: 'channel_live', eventTime: 1, id: String(channelId) });
        eventValues.push('channel_live', channelId, 'session', 1, body, at, at);
      }
      await manager.query(
        'INSERT INTO channel_event (name, channel_id, session_id, event_time, body, created_at,' +
          ` dispatched_at) VALUES ${tuples(size, 7)}`,
        eventValues,
      );
      const [{ last }] = await manager.query<{ last: string | number }[]>(
        'SELECT MAX(id) AS last FROM channel_event',
      );
      const firstEvent = Number(last) - size + 1;
      const deliveryValues: SqlValue[] = [];
      for (let index = 0; index < size; index++) {
        deliveryValues.push(
          options.webhookId,
          channelOf(index),
          firstEvent + index,
          'channel_live',
          `msg_${randomBytes(16).toString('base64url')}`,
          status,
          status === 'pending' ? 0 : attemptsEach,
          status === 'pending' ? attemptsEach + 1 : attemptsEach,
          status === 'failed' ? 500 : status === 'succeeded' ? 200 : null,
          status === 'failed' ? 'HTTP 500' : null,
          at,
          at,
          at,
        );
      }
      await manager.query(
        'INSERT INTO delivery (webhook_id, channel_id, event_id, event, message_id, status,' +
          ' attempts, max_attempts, last_status_code, last_error, last_attempt_at, created_at,' +
          ` updated_at) VALUES ${tuples(size, 13)}`,
        deliveryValues,
      );
      const inserted = await manager.query<{ id: string | number }[]>(
        `SELECT id FROM delivery WHERE webhook_id = ? ORDER BY id DESC LIMIT ${size}`,
        [options.webhookId],
      );
      const chunkIds = inserted.map((row) => String(row.id)).reverse();
      ids.push(...chunkIds);
      if (attemptsEach === 0 || status === 'pending') return;
      const attemptValues: SqlValue[] = [];
      for (const id of chunkIds) {
        for (let attempt = 0; attempt < attemptsEach; attempt++) {
          const code = status === 'succeeded' && attempt === attemptsEach - 1 ? 200 : 500;
          attemptValues.push(id, at, code, 5, code === 200 ? null : 'HTTP 500', 'answer');
        }
      }
      await manager.query(
        'INSERT INTO delivery_attempt (delivery_id, at, status_code, duration_ms, error,' +
          ` response_body) VALUES ${tuples(chunkIds.length * attemptsEach, 6)}`,
        attemptValues,
      );
    });
  }
  return ids;
}

function tuples(rows: number, columns: number): string {
  const tuple = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => tuple).join(', ');
}
