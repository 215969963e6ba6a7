import Sqlite from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';

type Value = string | number;

/** Rows per multi-row INSERT (SQLite binds at most 32,766 values per statement). */
const ROWS_PER_INSERT = 1_000;
/** Seeded channel ids start here, clear of the channels the API creates. */
export const SEEDED_CHANNELS_FROM = 10_000_000;

export interface FailedSeed {
  webhookIds: readonly string[];
  /** Channels, each with one channel_live event that went to every webhook and failed there. */
  channels: number;
  /** The events' eventTime (ms): the receiver tells them from newer ones by it. */
  eventTime: number;
  /** When the deliveries failed (their created and updated time). */
  at: Date;
}

/** One statement runner for both databases, `?` placeholders. */
interface Runner {
  run(sql: string, values: Value[]): Promise<void>;
  ids(sql: string): Promise<string[]>;
  close(): Promise<void>;
}

async function open(url: string): Promise<Runner> {
  if (url.startsWith('sqlite:')) {
    const db = new Sqlite(url.slice('sqlite:'.length));
    db.pragma('busy_timeout = 5000');
    return {
      run: (sql, values) => Promise.resolve(void db.prepare(sql).run(...values)),
      ids: (sql) =>
        Promise.resolve((db.prepare(sql).all() as { id: number }[]).map((row) => String(row.id))),
      close: () => Promise.resolve(void db.close()),
    };
  }
  const connection = await createConnection({ uri: url, supportBigNumbers: true });
  return {
    run: async (sql, values) => void (await connection.query(sql, values)),
    ids: async (sql) => {
      const [rows] = await connection.query(sql);
      return (rows as { id: number | string }[]).map((row) => String(row.id));
    },
    close: () => connection.end(),
  };
}

const tuples = (rows: number, columns: number) =>
  Array.from(
    { length: rows },
    () => `(${Array.from({ length: columns }, () => '?').join(', ')})`,
  ).join(', ');

/**
 * Writes deliveries that failed their only attempt straight into a workload's database, fast (the
 * API makes failed deliveries no faster than a receiver refuses them): per channel one dispatched
 * `channel_live` event, and per webhook one failed delivery of it, each channel its own line.
 * `POST /v1/webhook/{id}/recover` then makes them all retries due at once.
 */
export async function seedFailed(url: string, seed: FailedSeed): Promise<void> {
  const db = await open(url);
  const at = seed.at.toISOString().replace('T', ' ').slice(0, 23);
  try {
    const perChunk = Math.max(1, Math.floor(ROWS_PER_INSERT / seed.webhookIds.length));
    for (let start = 0; start < seed.channels; start += perChunk) {
      const size = Math.min(perChunk, seed.channels - start);
      const channelIds = Array.from({ length: size }, (_, i) => SEEDED_CHANNELS_FROM + start + i);
      await db.run(
        'INSERT INTO channel_event (name, channel_id, session_id, event_time, sequence, body,' +
          ` created_at, dispatched_at) VALUES ${tuples(size, 8)}`,
        channelIds.flatMap((id) => {
          const body = JSON.stringify({
            event: 'channel_live',
            eventTime: seed.eventTime,
            sequence: 1,
            id: String(id),
          });
          return ['channel_live', id, 'seeded', seed.eventTime, 1, body, at, at];
        }),
      );
      const eventIds = (
        await db.ids(`SELECT id FROM channel_event ORDER BY id DESC LIMIT ${size}`)
      ).reverse();
      const values: Value[] = [];
      for (const webhookId of seed.webhookIds) {
        channelIds.forEach((channelId, i) => {
          const messageId = `msg_${randomBytes(16).toString('base64url')}`;
          values.push(webhookId, channelId, eventIds[i], 'channel_live', messageId, 'failed');
          values.push(1, 1, 503, 'HTTP 503', at, at, at);
        });
      }
      await db.run(
        'INSERT INTO delivery (webhook_id, channel_id, event_id, event, message_id, status,' +
          ' attempts, max_attempts, last_status_code, last_error, last_attempt_at, created_at,' +
          ` updated_at) VALUES ${tuples(size * seed.webhookIds.length, 13)}`,
        values,
      );
    }
  } finally {
    await db.close();
  }
}
