import { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAppConfig } from '../src/config/app-config.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { runMigrations } from '../src/database/migrate.js';
import { MIGRATIONS } from '../src/database/migrations/index.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './helpers/databases.js';
import { createTestApp } from './helpers/test-app.js';
import { DATA_SOURCE } from '../src/database/data-source.token.js';

/** How many migrations there are up to and with the one of this name. */
const upTo = (name: string) => MIGRATIONS.findIndex((migration) => migration.name === name) + 1;
const WEBHOOK_STATE = upTo('WebhookState1764001700000');
const EVENT_SEQUENCE = upTo('EventSequence1764001800000');
const DELIVERY_TEST = upTo('DeliveryTest1764002000000');

/** A data source on the test database with the migrations up to `count` (all by default). */
async function openDatabase(database: TestDatabase, count = MIGRATIONS.length) {
  const { database: config } = loadAppConfig({ DATABASE_URL: database.url });
  const source = new DataSource({
    ...dataSourceOptions(config),
    migrations: MIGRATIONS.slice(0, count),
  });
  return source.initialize();
}

describe.each(databaseKinds())('the webhook state migration on %s', (kind) => {
  let database: TestDatabase;
  const ids = { active: '', paused: '', disabled: '' };

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    // The schema and the rows of the version before, as a running service left them.
    const previous = await openDatabase(database, WEBHOOK_STATE - 1);
    await runMigrations(previous);
    const rows: [keyof typeof ids, number, string | null, string | null][] = [
      ['active', 1, null, '2026-11-27 10:00:00.000'],
      ['paused', 0, 'paused by PUT', null],
      ['disabled', 0, 'the receiver answered 410 Gone', '2026-11-26 10:00:00.000'],
    ];
    for (const [name, active, reason, failingSince] of rows) {
      await previous.query(
        'INSERT INTO webhook (uri, active, secret, disabled_reason, failing_since)' +
          ' VALUES (?, ?, ?, ?, ?)',
        [`https://${name}.example/hook`, active, 'whsec_AAAA', reason, failingSince],
      );
      const [{ id }] = await previous.query<{ id: string | number }[]>(
        'SELECT MAX(id) AS id FROM webhook',
      );
      ids[name] = String(id);
      await previous.query(
        'INSERT INTO webhook_event (webhook_id, event, position) VALUES (?, ?, 0)',
        [ids[name], 'all'],
      );
    }
    await previous.destroy();
  });

  afterEach(() => database.drop());

  it('gives every webhook its state from the flag and the reason, keeping what else it had', async () => {
    const current = await openDatabase(database, WEBHOOK_STATE);
    expect(await runMigrations(current)).toEqual(['WebhookState1764001700000']);
    const webhooks = await current.query<
      { id: string | number; state: string; reason: string | null }[]
    >('SELECT id, state, disabled_reason AS reason FROM webhook ORDER BY id');
    expect(webhooks.map((row) => ({ ...row, id: String(row.id) }))).toEqual([
      { id: ids.active, state: 'active', reason: null },
      { id: ids.paused, state: 'paused', reason: null },
      { id: ids.disabled, state: 'disabled', reason: 'the receiver answered 410 Gone' },
    ]);
    const [{ events }] = await current.query<{ events: string | number }[]>(
      'SELECT COUNT(*) AS events FROM webhook_event',
    );
    expect(Number(events)).toBe(3);
    await current.destroy();

    const t = await createTestApp(kind, {}, database);
    try {
      const shown = async (id: string) =>
        ((await t.request('GET', `/v1/webhook/${id}`)).body as { active: boolean }).active;
      expect(await shown(ids.active)).toBe(true);
      expect(await shown(ids.paused)).toBe(false);
      expect(await shown(ids.disabled)).toBe(false);
      const summary = (await t.request('GET', '/v1/webhook-summary')).body as {
        webhooks: { id: string; state: string; disabledReason: string | null }[];
      };
      expect(
        summary.webhooks.map(({ id, state, disabledReason }) => ({ id, state, disabledReason })),
      ).toEqual([
        { id: ids.disabled, state: 'disabled', disabledReason: 'the receiver answered 410 Gone' },
        { id: ids.paused, state: 'paused', disabledReason: null },
        { id: ids.active, state: 'healthy', disabledReason: null },
      ]);
    } finally {
      await t.close({ keepDatabase: true });
    }
  });

  it('goes back to the flag and the reason it replaced', async () => {
    const current = await openDatabase(database, WEBHOOK_STATE);
    await runMigrations(current);
    await current.undoLastMigration({ transaction: 'each' });
    const webhooks = await current.query<
      { id: string | number; active: number | boolean; reason: string | null }[]
    >('SELECT id, active, disabled_reason AS reason FROM webhook ORDER BY id');
    expect(
      webhooks.map((row) => ({
        id: String(row.id),
        active: Number(row.active),
        reason: row.reason,
      })),
    ).toEqual([
      { id: ids.active, active: 1, reason: null },
      { id: ids.paused, active: 0, reason: 'paused by PUT' },
      { id: ids.disabled, active: 0, reason: 'the receiver answered 410 Gone' },
    ]);
    await current.destroy();
  });
});

describe.each(databaseKinds())('the event sequence migration on %s', (kind) => {
  let database: TestDatabase;
  /** Channel ids by name, and each one's stream key (its name). */
  const ids: Record<string, string> = {};

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    const previous = await openDatabase(database, EVENT_SEQUENCE - 1);
    await runMigrations(previous);
    const at = '2026-11-27 10:00:00.000';
    // `three` is live after three events, `one` stopped after its first, `none` never went live.
    for (const [name, status, events] of [
      ['three', 'live', ['channel_live', 'channel_stop', 'channel_live']],
      ['one', 'stopped', ['channel_live']],
      ['none', 'idle', []],
    ] as const) {
      await previous.query(
        'INSERT INTO channel (name, status, reconnect_window, stream_key, session_stream_key,' +
          ' session_id, live_at, created_at, updated_at) VALUES (?, ?, 60, ?, ?, ?, ?, ?, ?)',
        [
          name,
          status,
          name,
          status === 'idle' ? null : name,
          status === 'idle' ? null : `session-${name}`,
          status === 'idle' ? null : at,
          at,
          at,
        ],
      );
      const [{ id }] = await previous.query<{ id: string | number }[]>(
        'SELECT MAX(id) AS id FROM channel',
      );
      ids[name] = String(id);
      for (const event of events) {
        await previous.query(
          'INSERT INTO channel_event (name, channel_id, session_id, event_time, body,' +
            ' dispatched_at, created_at) VALUES (?, ?, ?, 1764237600000, ?, ?, ?)',
          [event, id, `session-${name}`, JSON.stringify({ event }), at, at],
        );
      }
    }
    // The channels' events interleave in the table, as they would.
    await previous.query(
      'INSERT INTO channel_event (name, channel_id, session_id, event_time, body, dispatched_at,' +
        " created_at) VALUES ('channel_stop', ?, 'session-one', 1764237601000, '{}', ?, ?)",
      [ids.one, at, at],
    );
    await previous.destroy();
  });

  afterEach(() => database.drop());

  it('numbers the events kept in their order per channel, and each channel goes on from its last', async () => {
    const current = await openDatabase(database, EVENT_SEQUENCE);
    expect(await runMigrations(current)).toEqual(['EventSequence1764001800000']);
    const events = await current.query<{ channelId: string | number; sequence: number }[]>(
      'SELECT channel_id AS channelId, sequence FROM channel_event ORDER BY id',
    );
    expect(events.map((row) => [String(row.channelId), Number(row.sequence)])).toEqual([
      [ids.three, 1],
      [ids.three, 2],
      [ids.three, 3],
      [ids.one, 1],
      [ids.one, 2],
    ]);
    const channels = await current.query<{ id: string | number; last: number }[]>(
      'SELECT id, event_sequence AS last FROM channel ORDER BY id',
    );
    expect(channels.map((row) => [String(row.id), Number(row.last)])).toEqual([
      [ids.three, 3],
      [ids.one, 2],
      [ids.none, 0],
    ]);
    await current.destroy();

    const t = await createTestApp(kind, {}, database);
    try {
      for (const [key, action] of [
        ['three', 'unpublish'],
        ['one', 'publish'],
        ['none', 'publish'],
      ] as const) {
        const answer = await t.request('POST', '/v1/ingest/events', {
          body: { streamKey: key, action },
          apiKey: false,
        });
        expect(answer.status).toBe(200);
      }
      const after = await t.app
        .get<DataSource>(DATA_SOURCE)
        .query<{ body: string }[]>(
          'SELECT body FROM channel_event WHERE sequence > 0 ORDER BY id DESC LIMIT 3',
        );
      expect(
        after
          .map((row) => JSON.parse(row.body) as { id: string; sequence: number })
          .map(({ id, sequence }) => [id, sequence])
          .reverse(),
      ).toEqual([
        [ids.three, 4],
        [ids.one, 3],
        [ids.none, 1],
      ]);
    } finally {
      await t.close({ keepDatabase: true });
    }
  });

  it('goes back to the tables as they were', async () => {
    const current = await openDatabase(database, EVENT_SEQUENCE);
    await runMigrations(current);
    await current.undoLastMigration({ transaction: 'each' });
    const [event] = await current.query<Record<string, unknown>[]>(
      'SELECT * FROM channel_event LIMIT 1',
    );
    expect(event).not.toHaveProperty('sequence');
    const [channel] = await current.query<Record<string, unknown>[]>(
      'SELECT * FROM channel LIMIT 1',
    );
    expect(channel).not.toHaveProperty('event_sequence');
    await current.destroy();
  });
});

describe.each(databaseKinds())('the delivery test flag migration on %s', (kind) => {
  it('marks the pings, and only them, as tests; and goes back', async () => {
    const database = await createTestDatabase(kind);
    try {
      const previous = await openDatabase(database, DELIVERY_TEST - 1);
      await runMigrations(previous);
      await previous.query(
        "INSERT INTO webhook (uri, state, secret) VALUES ('https://a.example/h', 'active', 'whsec_AAAA')",
      );
      const [{ id }] = await previous.query<{ id: string | number }[]>(
        'SELECT MAX(id) AS id FROM webhook',
      );
      for (const [event, channel] of [
        ['ping', null],
        ['channel_live', 7],
      ] as const) {
        await previous.query(
          'INSERT INTO delivery (webhook_id, channel_id, event, message_id, body, status,' +
            " attempts, max_attempts, created_at, updated_at) VALUES (?, ?, ?, ?, '{}', 'failed'," +
            " 1, 1, '2026-11-27 10:00:00.000', '2026-11-27 10:00:00.000')",
          [id, channel, event, `msg_${event}`],
        );
      }
      await previous.destroy();

      const current = await openDatabase(database, DELIVERY_TEST);
      expect(await runMigrations(current)).toEqual(['DeliveryTest1764002000000']);
      const rows = await current.query<{ event: string; test: number | boolean }[]>(
        'SELECT event, test FROM delivery ORDER BY id',
      );
      expect(rows.map((row) => [row.event, Number(row.test)])).toEqual([
        ['ping', 1],
        ['channel_live', 0],
      ]);
      await current.undoLastMigration({ transaction: 'each' });
      const [row] = await current.query<Record<string, unknown>[]>(
        'SELECT * FROM delivery LIMIT 1',
      );
      expect(row).not.toHaveProperty('test');
      await current.destroy();
    } finally {
      await database.drop();
    }
  });
});

// An api and a worker process (SERVICE_ROLE) may start together on one fresh database.
describe.each(databaseKinds())('migrations from two services at once on %s', (kind) => {
  it('leave every migration applied once, neither run failing', async () => {
    const database = await createTestDatabase(kind);
    const sources = await Promise.all([openDatabase(database), openDatabase(database)]);
    try {
      const applied = await Promise.all(sources.map((source) => runMigrations(source)));
      // Neither applied a migration the other had.
      const names = applied.flat();
      expect(new Set(names).size).toBe(names.length);
      expect(await sources[0].showMigrations()).toBe(false);
      const rows = await sources[1].query<{ name: string }[]>('SELECT name FROM migrations');
      expect(rows.map((row) => row.name).sort()).toEqual(
        MIGRATIONS.map((migration) => migration.name).sort(),
      );
    } finally {
      await Promise.all(sources.map((source) => source.destroy()));
      await database.drop();
    }
  });
});
