import { randomBytes } from 'node:crypto';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { Agent, request } from 'undici';
import { newMessageId, sign } from '../src/delivery/signature.js';
import { SECRET_PREFIX } from '../src/webhook/webhook-secret.js';
import { servicePool } from './mysql-pool.js';

/**
 * The design probe: the service's delivery design with no framework around it, in its own process
 * (forked by the bench, which reads its CPU time from /proc as it does the service's). On a fresh
 * MySQL database it fans `events` × `webhooks` deliveries out in 500-row INSERTs, claims them 200
 * at a time (SELECT … FOR UPDATE SKIP LOCKED and one lease UPDATE, in one transaction), keeps
 * `concurrency` signed POSTs in flight through an undici keep-alive agent, and writes the outcomes
 * in batches (one multi-row INSERT of attempts and one UPDATE of the deliveries, in one
 * transaction). What it reaches is what this design can do on this machine: the ceiling the
 * service is compared with.
 *
 * Its settings come as the first argument (JSON, `ProbeSettings`). Messages to the parent: {type:
 * 'ready'} once the tables and the webhooks are there (not timed), then, after the parent's {type:
 * 'go'}, {type: 'done', ...ProbeResult} or {type: 'failed', error}.
 */

export interface ProbeSettings {
  databaseUrl: string;
  /** The receiver's port: webhook n posts to http://127.0.0.1:<port>/hook?w=<n>. */
  receiverPort: number;
  webhooks: number;
  events: number;
  /** Each callback body is padded to this many bytes (the service's own body size). */
  bodyBytes: number;
  /** Attempts in flight at most, and the agent's connections (DELIVERY_CONCURRENCY). */
  concurrency: number;
}

export interface ProbeResult {
  deliveries: number;
  /** From the first fan-out INSERT sent to the last outcome committed. */
  ms: number;
  perSecond: number;
  claims: number;
  outcomeBatches: number;
  /** Attempts that did not succeed (retried a second later). */
  retries: number;
  /** Transactions run again after a deadlock or a lock wait timeout. */
  lockRetries: number;
}

const INSERT_CHUNK = 500;
const CLAIM_MAX = 200;
const OUTCOME_BATCH_MAX = 500;
const LEASE_MS = 60_000;
const RETRY_MS = 1_000;
/** MySQL's deadlock and lock wait timeout: it asks for the transaction to be run again. */
const LOCK_CONTENTION = new Set([1213, 1205]);
const OWNER = `probe-${randomBytes(4).toString('hex')}`;

/** The service's delivery tables, as its migrations leave them on MySQL (the columns the design writes). */
const SCHEMA = [
  'CREATE TABLE webhook (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,' +
    ' uri VARCHAR(2048) NOT NULL, secret VARCHAR(128) NOT NULL)',
  'CREATE TABLE delivery (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,' +
    ' webhook_id BIGINT NOT NULL, channel_id BIGINT NULL, event_id BIGINT NULL,' +
    ' event VARCHAR(32) NOT NULL, message_id VARCHAR(64) NOT NULL, body TEXT NULL,' +
    ' status VARCHAR(16) NOT NULL, attempts INT NOT NULL DEFAULT 0, max_attempts INT NOT NULL,' +
    ' has_followers TINYINT NOT NULL DEFAULT 0, next_attempt_at DATETIME(3) NULL,' +
    ' lease_until DATETIME(3) NULL, lease_owner VARCHAR(64) NULL, last_status_code INT NULL,' +
    ' last_error VARCHAR(1024) NULL, last_attempt_at DATETIME(3) NULL,' +
    ' created_at DATETIME(3) NOT NULL, updated_at DATETIME(3) NOT NULL,' +
    ' INDEX IDX_delivery_due (status, next_attempt_at),' +
    ' INDEX IDX_delivery_line (channel_id, webhook_id, status, id),' +
    ' INDEX IDX_delivery_log (webhook_id, id),' +
    ' INDEX IDX_delivery_finished (status, updated_at),' +
    ' INDEX IDX_delivery_last_attempt (webhook_id, last_attempt_at),' +
    ' INDEX IDX_delivery_event (event_id), INDEX IDX_delivery_message (message_id),' +
    ' CONSTRAINT FK_delivery_webhook FOREIGN KEY (webhook_id) REFERENCES webhook (id)' +
    ' ON DELETE CASCADE)',
  'CREATE TABLE delivery_attempt (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,' +
    ' delivery_id BIGINT NOT NULL, at DATETIME(3) NOT NULL, status_code INT NULL,' +
    ' duration_ms INT NOT NULL, error VARCHAR(1024) NULL, response_body MEDIUMTEXT NULL,' +
    ' response_truncated TINYINT NOT NULL DEFAULT 0, request_headers TEXT NULL,' +
    ' response_headers TEXT NULL,' +
    ' INDEX IDX_delivery_attempt_delivery (delivery_id, id), INDEX IDX_delivery_attempt_at (at),' +
    ' CONSTRAINT FK_delivery_attempt_delivery FOREIGN KEY (delivery_id)' +
    ' REFERENCES delivery (id) ON DELETE CASCADE)',
];

const SQL = {
  insertDeliveries: (count: number) =>
    'INSERT INTO delivery (webhook_id, channel_id, event_id, event, message_id, status,' +
    ' attempts, max_attempts, next_attempt_at, created_at, updated_at) VALUES ' +
    Array.from(
      { length: count },
      () => "(?, ?, ?, 'channel_live', ?, 'pending', 0, 10, UTC_TIMESTAMP(3), ?, ?)",
    ).join(', '),
  claim:
    'START TRANSACTION; SELECT id, webhook_id AS webhookId, event_id AS eventId,' +
    ' message_id AS messageId, attempts FROM delivery' +
    " WHERE status = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(3)" +
    ' AND (lease_until IS NULL OR lease_until < UTC_TIMESTAMP(3))' +
    ' ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED',
  leaseAndCommit:
    'UPDATE delivery SET lease_owner = ?,' +
    ' lease_until = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND WHERE id IN (?); COMMIT',
  /** One transaction, one round trip: the attempts, then each delivery's outcome. */
  record: (count: number) =>
    'START TRANSACTION; INSERT INTO delivery_attempt (delivery_id, at, status_code, duration_ms,' +
    ' error, response_body, response_truncated, request_headers, response_headers) VALUES ' +
    Array.from({ length: count }, () => '(?, ?, ?, ?, ?, ?, 0, ?, ?)').join(', ') +
    `; UPDATE delivery SET status = CASE id ${'WHEN ? THEN ? '.repeat(count)}END,` +
    ` next_attempt_at = CASE id ${'WHEN ? THEN UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND '.repeat(count)}END,` +
    ` last_status_code = CASE id ${'WHEN ? THEN ? '.repeat(count)}END,` +
    ' attempts = attempts + 1, lease_owner = NULL, lease_until = NULL, last_attempt_at = ?,' +
    ' updated_at = ? WHERE id IN (?) AND lease_owner = ?; COMMIT',
};

interface Target {
  id: string;
  uri: string;
  secret: string;
}

interface Claimed {
  id: string;
  webhookId: string;
  eventId: string;
  messageId: string;
}

interface Outcome {
  delivery: Claimed;
  at: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
  requestHeaders: string;
  responseHeaders: string | null;
}

class Probe {
  private readonly agent: Agent;
  private readonly targets = new Map<string, Target>();
  /** Each event's body, by id: the service keeps recent bodies in memory too. */
  private readonly bodies = new Map<string, string>();
  private readonly ready: Claimed[] = [];
  private inFlight = 0;
  private readonly outcomes: Outcome[] = [];
  private writing: Promise<void> | undefined;
  private succeeded = 0;
  private claims = 0;
  private batches = 0;
  private retries = 0;
  private lockRetries = 0;
  private failure: Error | undefined;
  /** Wakes the claim loop: a slot came free, a fan-out chunk was committed, or it is over. */
  private wake: (() => void) | undefined;
  /** Fan-out chunks committed (and retry checks): each may have made deliveries due. */
  private commits = 0;
  /** `commits` when a claim last came up short: until it moves on, nothing more is due. */
  private shortAt = -1;
  private finished: (() => void) | undefined;

  private constructor(
    private readonly pool: Pool,
    private readonly settings: ProbeSettings,
  ) {
    this.agent = new Agent({
      connections: settings.concurrency,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 60_000,
    });
  }

  static async open(settings: ProbeSettings): Promise<Probe> {
    const pool = servicePool(settings.databaseUrl);
    const probe = new Probe(pool, settings);
    await probe.setUp();
    return probe;
  }

  /** Tables, webhooks and event bodies: what the API and the ingest hooks made before a burst. */
  private async setUp(): Promise<void> {
    for (const statement of SCHEMA) await this.pool.query(statement);
    const { webhooks, receiverPort, events, bodyBytes } = this.settings;
    for (let n = 0; n < webhooks; n++) {
      const uri = `http://127.0.0.1:${receiverPort}/hook?w=${n}`;
      const secret = `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
      const [inserted] = await this.pool.query('INSERT INTO webhook (uri, secret) VALUES (?, ?)', [
        uri,
        secret,
      ]);
      const id = String((inserted as { insertId: number | string }).insertId);
      this.targets.set(id, { id, uri, secret });
    }
    for (let e = 1; e <= events; e++) {
      const head = JSON.stringify({ event: 'channel_live', eventTime: Date.now(), id: String(e) });
      const padding = Math.max(0, bodyBytes - head.length - 13);
      this.bodies.set(String(e), `${head.slice(0, -1)},"padding":"${'x'.repeat(padding)}"}`);
    }
  }

  async run(): Promise<ProbeResult> {
    const expected = this.settings.events * this.settings.webhooks;
    const done = new Promise<void>((resolve) => (this.finished = resolve));
    const started = performance.now();
    const fanOut = this.fanOut();
    const claiming = this.claimLoop(expected);
    await Promise.all([fanOut, claiming, done]);
    if (this.failure) throw this.failure;
    const ms = performance.now() - started;
    return {
      deliveries: expected,
      ms,
      perSecond: expected / (ms / 1000),
      claims: this.claims,
      outcomeBatches: this.batches,
      retries: this.retries,
      lockRetries: this.lockRetries,
    };
  }

  /** Every event to every webhook, in event order, 500 rows per INSERT, each committed. */
  private async fanOut(): Promise<void> {
    const webhookIds = [...this.targets.keys()];
    const rows: [string, string][] = [];
    for (const eventId of this.bodies.keys())
      for (const webhookId of webhookIds) rows.push([eventId, webhookId]);
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      const now = new Date();
      const values: (string | Date)[] = [];
      for (const [eventId, webhookId] of chunk)
        values.push(webhookId, eventId, eventId, newMessageId(), now, now);
      await this.transaction((connection) =>
        connection.query(SQL.insertDeliveries(chunk.length), values),
      );
      this.commits++;
      this.poke();
    }
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /**
   * Claims while there is room and something may be due; otherwise waits for a wake. Every tenth
   * of a second counts as a commit: a retry may have fallen due.
   */
  private async claimLoop(expected: number): Promise<void> {
    const { concurrency } = this.settings;
    const retries = setInterval(() => {
      this.commits++;
      this.poke();
    }, 100);
    try {
      await this.claimWhileRunning(expected, concurrency);
    } finally {
      clearInterval(retries);
    }
  }

  private async claimWhileRunning(expected: number, concurrency: number): Promise<void> {
    while (this.succeeded < expected && !this.failure) {
      const commits = this.commits;
      const room = concurrency + CLAIM_MAX - this.ready.length - this.inFlight;
      if (commits !== this.shortAt && this.ready.length < concurrency && room > 0) {
        const limit = Math.min(CLAIM_MAX, room);
        if ((await this.claim(limit)) < limit) this.shortAt = commits;
        this.pump();
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private claim(limit: number): Promise<number> {
    return this.transaction(async (connection) => {
      const [results] = await connection.query(SQL.claim, [limit]);
      const rows = (results as unknown[])[1] as Claimed[];
      if (rows.length === 0) {
        await connection.query('COMMIT');
        return 0;
      }
      await connection.query(SQL.leaseAndCommit, [
        OWNER,
        LEASE_MS * 1000,
        rows.map((row) => row.id),
      ]);
      this.claims++;
      this.ready.push(...rows);
      return rows.length;
    });
  }

  /**
   * Runs `work` (which commits) on a pooled connection; a deadlock victim or a lock wait that
   * timed out is rolled back and run again, as the service's transactions are.
   */
  private async transaction<T>(work: (connection: PoolConnection) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const connection = await this.pool.getConnection();
      try {
        return await work(connection);
      } catch (error) {
        await rollback(connection);
        const errno = (error as { errno?: number }).errno ?? 0;
        if (attempt >= 10 || !LOCK_CONTENTION.has(errno)) throw error;
        this.lockRetries++;
      } finally {
        connection.release();
      }
    }
  }

  private pump(): void {
    while (this.inFlight < this.settings.concurrency && this.ready.length > 0) {
      const delivery = this.ready.shift()!;
      this.inFlight++;
      void this.attempt(delivery).then((outcome) => {
        this.inFlight--;
        this.outcomes.push(outcome);
        this.record();
        this.pump();
        this.poke();
      });
    }
  }

  /** One signed POST, as the service sends it (Standard Webhooks headers); never throws. */
  private async attempt(delivery: Claimed): Promise<Outcome> {
    const target = this.targets.get(delivery.webhookId)!;
    const body = this.bodies.get(delivery.eventId)!;
    const at = new Date();
    const started = performance.now();
    const timestamp = Math.floor(at.getTime() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'channel-webhooks-probe',
      'webhook-id': delivery.messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': sign(target.secret, delivery.messageId, timestamp, body),
    };
    const outcome = { delivery, at, requestHeaders: JSON.stringify(headers) };
    try {
      const response = await request(target.uri, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
      });
      const text = await response.body.text();
      return {
        ...outcome,
        statusCode: response.statusCode,
        durationMs: Math.round(performance.now() - started),
        error: null,
        responseBody: text,
        responseHeaders: JSON.stringify(response.headers),
      };
    } catch (error) {
      return {
        ...outcome,
        statusCode: null,
        durationMs: Math.round(performance.now() - started),
        error: (error as Error).message.slice(0, 1024),
        responseBody: null,
        responseHeaders: null,
      };
    }
  }

  /** One batch written at a time; what came in meanwhile goes in the next. */
  private record(): void {
    if (this.writing || this.outcomes.length === 0 || this.failure) return;
    const batch = this.outcomes.splice(0, OUTCOME_BATCH_MAX);
    this.writing = this.write(batch).then(
      () => {
        this.writing = undefined;
        this.record();
      },
      (error: Error) => {
        this.failure = error;
        this.finished?.();
        this.poke();
      },
    );
  }

  private async write(batch: Outcome[]): Promise<void> {
    const ok = (outcome: Outcome) =>
      outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
    const values: unknown[] = [];
    for (const o of batch)
      values.push(
        o.delivery.id,
        o.at,
        o.statusCode,
        o.durationMs,
        o.error,
        o.responseBody,
        o.requestHeaders,
        o.responseHeaders,
      );
    for (const o of batch) values.push(o.delivery.id, ok(o) ? 'succeeded' : 'pending');
    for (const o of batch) values.push(o.delivery.id, ok(o) ? null : RETRY_MS * 1000);
    for (const o of batch) values.push(o.delivery.id, o.statusCode);
    const now = new Date();
    values.push(
      now,
      now,
      batch.map((o) => o.delivery.id),
      OWNER,
    );
    await this.transaction((connection) => connection.query(SQL.record(batch.length), values));
    this.batches++;
    const succeeded = batch.filter(ok).length;
    this.retries += batch.length - succeeded;
    this.succeeded += succeeded;
    if (this.succeeded >= this.settings.events * this.settings.webhooks) {
      this.finished?.();
      this.poke();
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.agent.close(), this.pool.end()]);
  }
}

async function rollback(connection: PoolConnection): Promise<void> {
  try {
    await connection.query('ROLLBACK');
  } catch {
    // the connection is broken; the pool drops it
  }
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '') as ProbeSettings;
  const probe = await Probe.open(settings);
  try {
    const go = new Promise<void>((resolve) =>
      process.once('message', (message: { type: string }) => {
        if (message.type === 'go') resolve();
      }),
    );
    process.send?.({ type: 'ready' });
    await go;
    const result = await probe.run();
    process.send?.({ type: 'done', ...result });
  } finally {
    await probe.close();
  }
}

// The parent going away must not leave the probe behind.
process.on('disconnect', () => process.exit(0));

main().catch((error: Error) => {
  process.send?.({ type: 'failed', error: error.stack ?? error.message });
  process.exitCode = 1;
});
