import { createConnection } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { createTestDatabase, type TestDatabase } from './helpers/databases.js';
import { type HttpApi, httpApi } from './helpers/http-api.js';
import { type Behaviour, startReceiver } from './helpers/receiver.js';
import {
  exitWithin,
  freePort,
  killStep,
  type LogLine,
  logLinesAtOrAbove,
  type SpawnedApp,
  startApp,
} from './helpers/spawn-app.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { createWebhook } from './helpers/webhooks.js';

const KEY = 'outcomes-test-key';
const TOKEN = 'outcomes-ingest-token';
const CALLBACKS = 30;

interface Instance {
  app: SpawnedApp;
  service: HttpApi;
}

/** Runs the built service as its own process against `databaseUrl`, and waits until it answers. */
async function startInstance(
  cleanup: (() => Promise<unknown>)[],
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<Instance> {
  const port = await freePort();
  const app = await startApp(databaseUrl, port, {
    API_KEYS: KEY,
    INGEST_TOKEN: TOKEN,
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
    ...env,
  });
  cleanup.push(killStep(app));
  return { app, service: httpApi(`http://127.0.0.1:${port}`, KEY) };
}

/** A webhook to `uri`, and `count` channels that go live at once: one callback each. */
async function goLive(instance: Instance, uri: string, count: number): Promise<void> {
  await createWebhook(instance.service, { uri, event: 'channel_live' });
  const keys: string[] = [];
  for (let i = 0; i < count; i++)
    keys.push((await createChannel(instance.service, { name: `c${i}` })).streamKey);
  const answers = await Promise.all(
    keys.map((streamKey) => ingest(instance.service, streamKey, 'publish', TOKEN)),
  );
  expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
}

/** Writes to the attempt log fail (as a lock wait, a read-only failover or a full disk would). */
async function refuseAttempts(database: TestDatabase): Promise<() => Promise<void>> {
  const connection = await createConnection(database.url);
  await connection.query(
    "CREATE TRIGGER refuse_attempts BEFORE INSERT ON delivery_attempt FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the attempt log refuses writes'",
  );
  return async () => {
    await connection.query('DROP TRIGGER refuse_attempts');
    await connection.end();
  };
}

interface LoggedDelivery {
  id: number;
  messageId: string;
  status: string;
  attempts: number;
  logged: number;
  codes: string | null;
}

/** Each delivery with its recorded attempts, by id. */
async function deliveryLog(database: TestDatabase): Promise<LoggedDelivery[]> {
  const connection = await createConnection(database.url);
  try {
    const [rows] = await connection.query(
      'SELECT d.id, d.message_id AS messageId, d.status, d.attempts, COUNT(a.id) AS logged,' +
        ' GROUP_CONCAT(a.status_code ORDER BY a.id) AS codes' +
        ' FROM delivery d LEFT JOIN delivery_attempt a ON a.delivery_id = d.id' +
        ' GROUP BY d.id, d.message_id, d.status, d.attempts ORDER BY d.id',
    );
    return (rows as LoggedDelivery[]).map((row) => ({
      ...row,
      id: Number(row.id),
      attempts: Number(row.attempts),
      logged: Number(row.logged),
      codes: row.codes === null ? null : String(row.codes),
    }));
  } finally {
    await connection.end();
  }
}

/** The log once all `count` deliveries are finished (none pending). */
function finishedLog(
  database: TestDatabase,
  count: number,
  timeoutMs: number,
): Promise<LoggedDelivery[]> {
  return eventually(
    async () => {
      const rows = await deliveryLog(database);
      return rows.length === count && rows.every((row) => row.status !== 'pending')
        ? rows
        : undefined;
    },
    timeoutMs,
    200,
  );
}

/** The "delivery attempt" lines a process logged (one per outcome it recorded). */
function recordedBy(app: SpawnedApp): string[] {
  return app
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; deliveryId?: string })
    .filter((line) => line.msg === 'delivery attempt')
    .map((line) => String(line.deliveryId));
}

/** A receiver's behaviour: hold every answer until `count` requests came, then answer them all. */
function answerWhenAllArrived(count: number, answer: Behaviour): () => Promise<Behaviour> {
  let arrived = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return async () => {
    if (++arrived >= count) release();
    await released;
    return answer;
  };
}

// A trigger on the attempt table and a cut TCP proxy stand in for the faults; the shared MariaDB
// server keeps running for the other suites.
describe('outcomes that cannot be written (mysql)', () => {
  const cleanup = stepsAfterAll();

  it.each([20_000, 60_000])(
    'attempt log refused for %i ms: every callback received once, one attempt each in the log, a second instance claims none of them',
    async (refusedMs) => {
      const database = await createTestDatabase('mysql');
      cleanup.push(() => database.drop());
      // Answers 204 once all of them are in flight, so all are sent before the first write fails.
      const receiver = await startReceiver(answerWhenAllArrived(CALLBACKS, { status: 204 }));
      cleanup.push(() => receiver.close());
      // Room for all of them at once, so they are all sent before the first write fails.
      const a = await startInstance(cleanup, database.url, {
        DELIVERY_CONCURRENCY_PER_WEBHOOK: String(CALLBACKS),
      });

      const allow = await refuseAttempts(database);
      const refusedAt = Date.now();
      await goLive(a, receiver.url, CALLBACKS);
      await eventually(async () => receiver.received.length >= CALLBACKS, 20_000, 20);
      // A second instance polls the same queue meanwhile: the leases it sees must stay held.
      const b = await startInstance(cleanup, database.url);
      await sleep(Math.max(0, refusedMs - (Date.now() - refusedAt)));
      await allow();

      const log = await finishedLog(database, CALLBACKS, 60_000);
      // Every callback exactly once (each answered 204: a repeat would be a duplicate).
      const ids = receiver.received.map((request) => String(request.headers['webhook-id']));
      expect(new Set(ids).size).toBe(CALLBACKS);
      expect(ids).toHaveLength(CALLBACKS);
      // The log: one attempt each, with its answer, each delivery succeeded after one attempt.
      expect(log.map((row) => row.messageId).sort()).toEqual([...ids].sort());
      for (const row of log) {
        expect(row).toMatchObject({ status: 'succeeded', attempts: 1, logged: 1, codes: '204' });
      }
      // Only the instance that sent them recorded them; the second one claimed none. (The delivery
      // thread's log lines reach the process's output through the main thread: they may trail
      // the rows by a moment.)
      await eventually(async () => recordedBy(a.app).length >= log.length, 10_000);
      expect(recordedBy(a.app).sort()).toEqual(log.map((row) => String(row.id)).sort());
      expect(recordedBy(b.app)).toEqual([]);

      for (const instance of [b, a]) {
        instance.app.kill('SIGTERM');
        expect(await exitWithin(instance.app)).toBe(0);
      }
    },
    240_000,
  );

  // 64 KiB of bytes that are not UTF-8: each becomes U+FFFD, three bytes, in the log.
  const INVALID_BODY = Buffer.alloc(64 * 1024, 0xff);
  const STORED_BODY = '\ufffd'.repeat(64 * 1024);
  // The whole 192 KiB of a 2xx answer kept, so the outcomes are as large as the log allows.
  const KEEP_LARGE_ANSWERS = { DELIVERY_RESPONSE_MAX_BYTES_SUCCESS: String(1024 * 1024) };

  it("outcomes whose answers together pass the server's max_allowed_packet: written in several writes, none dropped", async () => {
    const count = 120; // × 192 KiB ≈ 23 MiB, past MariaDB's 16 MiB default
    const database = await createTestDatabase('mysql');
    cleanup.push(() => database.drop());
    const receiver = await startReceiver(
      answerWhenAllArrived(count, { status: 200, body: INVALID_BODY }),
    );
    cleanup.push(() => receiver.close());
    const a = await startInstance(cleanup, database.url, {
      DELIVERY_CONCURRENCY: String(count),
      DELIVERY_CONCURRENCY_PER_WEBHOOK: String(count),
      LOG_LEVEL: 'warn',
      ...KEEP_LARGE_ANSWERS,
    });
    // The outcomes pile up while the attempt log refuses writes, then go in as large a write as
    // the worker makes.
    const allow = await refuseAttempts(database);
    await goLive(a, receiver.url, count);
    await eventually(async () => receiver.received.length >= count, 30_000, 20);
    await eventually(async () => /outcome\(s\) failed/.test(a.app.output()), 10_000);
    await allow();

    const log = await finishedLog(database, count, 60_000);
    for (const row of log) {
      expect(row).toMatchObject({ status: 'succeeded', attempts: 1, logged: 1, codes: '200' });
    }
    const ids = receiver.received.map((request) => String(request.headers['webhook-id']));
    expect(new Set(ids).size).toBe(count);
    expect(ids).toHaveLength(count);
    // Every answer kept whole.
    const connection = await createConnection(database.url);
    try {
      const [bodies] = await connection.query(
        'SELECT COUNT(*) AS n FROM delivery_attempt WHERE response_body = ?',
        [STORED_BODY],
      );
      expect(bodies).toEqual([{ n: count }]);
    } finally {
      await connection.end();
    }
    a.app.kill('SIGTERM');
    expect(await exitWithin(a.app)).toBe(0);
  }, 180_000);

  it('an outcome too large for any write (DATABASE_MAX_PACKET lowered): written with its answer cut', async () => {
    const count = 5;
    const database = await createTestDatabase('mysql');
    cleanup.push(() => database.drop());
    const receiver = await startReceiver(() => ({ status: 200, body: INVALID_BODY }));
    cleanup.push(() => receiver.close());
    const a = await startInstance(cleanup, database.url, {
      DATABASE_MAX_PACKET: '65536',
      ...KEEP_LARGE_ANSWERS,
    });
    await goLive(a, receiver.url, count);
    const log = await finishedLog(database, count, 30_000);
    for (const row of log) {
      expect(row).toMatchObject({ status: 'succeeded', attempts: 1, logged: 1, codes: '200' });
    }
    expect(receiver.received).toHaveLength(count);
    const connection = await createConnection(database.url);
    try {
      const [rows] = await connection.query('SELECT response_body AS body FROM delivery_attempt');
      for (const { body } of rows as { body: string }[]) {
        expect(body.length).toBeGreaterThan(1000);
        expect(Buffer.byteLength(body)).toBeLessThan(64 * 1024);
        expect(STORED_BODY.startsWith(body)).toBe(true);
      }
    } finally {
      await connection.end();
    }
    a.app.kill('SIGTERM');
    expect(await exitWithin(a.app)).toBe(0);
  }, 120_000);

  it('SIGTERM while the database is away: exits after SHUTDOWN_TIMEOUT naming the outcomes it kept; they are sent again once their leases run out', async () => {
    const count = 5;
    const database = await createTestDatabase('mysql');
    cleanup.push(() => database.drop());
    const server = new URL(database.url);
    const proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
    cleanup.push(() => proxy.close());
    let answering = false;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const receiver = await startReceiver(async () => {
      if (!answering) await released;
      return { status: 200 };
    });
    cleanup.push(() => receiver.close());
    const proxied = new URL(database.url);
    proxied.port = String(proxy.port);
    const a = await startInstance(cleanup, proxied.toString(), {
      SHUTDOWN_TIMEOUT: '5s',
      DELIVERY_TIMEOUT: '3s', // leases of 8 s
      LOG_LEVEL: 'warn',
    });
    await goLive(a, receiver.url, count);
    await eventually(async () => receiver.received.length >= count, 20_000, 20);
    // The answers come once the database is away: the outcomes cannot be written.
    proxy.cut();
    answering = true;
    release();
    a.app.kill('SIGTERM');
    expect(await exitWithin(a.app, 30_000)).toBe(0);

    const connection = await createConnection(database.url);
    let deliveryIds: string[];
    try {
      const [rows] = await connection.query('SELECT id FROM delivery ORDER BY id');
      deliveryIds = (rows as { id: number }[]).map((row) => String(row.id));
    } finally {
      await connection.end();
    }
    expect(deliveryIds).toHaveLength(count);
    const lines = logLinesAtOrAbove(a.app.output(), 40) as (LogLine & {
      deliveryIds?: string[];
    })[];
    const kept = lines.filter((line) => line.msg?.startsWith('Shutting down after'));
    expect(kept).toHaveLength(1);
    const named = /with (\d+) outcome\(s\) unwritten \(deliveries ([\d, ]+)\)/.exec(kept[0].msg!);
    expect(named?.[1]).toBe(String(count));
    expect(named![2].split(', ').sort()).toEqual([...deliveryIds].sort());
    expect([...kept[0].deliveryIds!].sort()).toEqual([...deliveryIds].sort());

    // Another instance sends them again once the leases run out: at least once, same webhook-id.
    const b = await startInstance(cleanup, database.url, { LOG_LEVEL: 'warn' });
    const log = await eventually(
      async () => {
        const rows = await deliveryLog(database);
        return rows.every((row) => row.status === 'succeeded') ? rows : undefined;
      },
      60_000,
      200,
    );
    for (const row of log) expect(row).toMatchObject({ attempts: 1, logged: 1, codes: '200' });
    const ids = receiver.received.map((request) => String(request.headers['webhook-id']));
    expect(ids).toHaveLength(2 * count);
    expect(new Set(ids).size).toBe(count);
    b.app.kill('SIGTERM');
    expect(await exitWithin(b.app)).toBe(0);
  }, 180_000);
});
