import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { databaseKinds, type TestDatabase } from './helpers/databases.js';
import { receiverPool } from './helpers/receiver.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';
import { DATA_SOURCE } from '../src/database/data-source.token.js';

/** A head that keeps failing stays open for seconds (not forever); a held request is not cut. */
const ENV = {
  DELIVERY_RETRY_SCHEDULE: Array.from({ length: 100 }, () => '200ms').join(','),
  DELIVERY_RETRY_JITTER: '0',
  DELIVERY_TIMEOUT: '60s',
};

interface LineRow {
  id: string;
  status: string;
  due: boolean;
}

/** The delivery rows of one (webhook, channel) line, read apart from the service: committed state only. */
async function lineReader(database: TestDatabase, webhookId: string, channelId: string) {
  const sql =
    'SELECT id, status, next_attempt_at IS NOT NULL AS due FROM delivery' +
    ' WHERE webhook_id = ? AND channel_id = ? ORDER BY id';
  const decode = (rows: { id: unknown; status: string; due: unknown }[]): LineRow[] =>
    rows.map((row) => ({ id: String(row.id), status: row.status, due: Number(row.due) === 1 }));
  if (database.kind === 'sqlite') {
    const db = new Database(database.url.slice('sqlite:'.length), { readonly: true });
    const statement = db.prepare(sql);
    return {
      read: () =>
        Promise.resolve(
          decode(statement.all(webhookId, channelId) as { id: number; status: string; due: 0 }[]),
        ),
      close: () => Promise.resolve(db.close()),
    };
  }
  const connection = await createConnection(database.url);
  return {
    read: async () => {
      const [rows] = await connection.query(sql, [webhookId, channelId]);
      return decode(rows as { id: string; status: string; due: number }[]);
    },
    close: () => connection.end(),
  };
}

describe.each(databaseKinds())('redelivery on a line with an open head on %s', (kind) => {
  let t: TestApp;
  const receivers = receiverPool();

  beforeAll(async () => {
    t = await createTestApp(kind, ENV);
  });
  afterAll(async () => {
    await t?.close();
    await receivers.closeAll();
  });

  const deliveries = async (webhookId: string) =>
    (await t.request('GET', `/v1/webhook/${webhookId}/deliveries?length=100`)).body.data as {
      id: string;
      event: string;
      messageId: string;
      status: string;
      attempts: number;
    }[];

  it.each(['held open', 'failing, its retry scheduled'] as const)(
    'waits behind the head (%s) and goes out right after it, before the later deliveries',
    async (head) => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let releasedAt = Infinity;
      const target = await receivers.start(async (request) => {
        if (request.json?.event !== 'channel_stop') return {};
        if (head === 'held open') {
          await released;
          return {};
        }
        return request.at < releasedAt ? { status: 500 } : {};
      });
      const hook = await createWebhook(t, { uri: target.url });
      const channel = await createChannel(t);
      const lineOf = () => target.received.filter((request) => request.json?.event !== 'ping');

      // The line: live (delivered), then stop (the head, kept open), then live again (waiting).
      await ingest(t, channel.streamKey, 'publish');
      const [live] = await eventually(async () => {
        const log = await deliveries(hook.id);
        return log[0]?.status === 'succeeded' ? log : undefined;
      });
      await ingest(t, channel.streamKey, 'unpublish');
      await eventually(async () => lineOf().length >= 2);
      await ingest(t, channel.streamKey, 'publish');
      const reader = await lineReader(t.database, hook.id, channel.id);
      try {
        const [, stop, again] = await eventually(async () => {
          const rows = await reader.read();
          return rows.length === 3 ? rows : undefined;
        });
        expect([stop.status, again.status]).toEqual(['pending', 'waiting']);

        // Every committed state of the line from here on.
        const states: LineRow[][] = [];
        let watching = true;
        const watcher = (async () => {
          while (watching) {
            states.push(await reader.read());
            await sleep(5);
          }
        })();

        const answer = await t.request(
          'POST',
          `/v1/webhook/${hook.id}/deliveries/${live.id}/redeliver`,
        );
        expect(answer.status).toBe(202);
        expect(answer.body).toMatchObject({ id: live.id, status: 'pending', nextAttemptAt: null });
        expect(await reader.read()).toEqual([
          { id: live.id, status: 'waiting', due: false },
          { id: stop.id, status: 'pending', due: true },
          { id: again.id, status: 'waiting', due: false },
        ]);

        // Time for a wrongly sendable replay to go out: a test ping (due after it) is sent, or the
        // failing head is tried once more.
        if (head === 'held open') {
          const ping = await t.request('POST', `/v1/webhook/${hook.id}/test`);
          await eventually(async () => target.byMessage(ping.body.messageId).length === 1);
        } else {
          const tries = lineOf().length;
          await eventually(async () => lineOf().length >= tries + 1);
        }
        expect(target.byMessage(live.messageId)).toHaveLength(1);

        releasedAt = Date.now();
        release();
        await eventually(async () => {
          const log = await deliveries(hook.id);
          return log.every((delivery) => delivery.status === 'succeeded') && log.length >= 3;
        }, 20_000);
        watching = false;
        await watcher;

        expect(states.length).toBeGreaterThan(1);
        for (const state of states) {
          const pending = state.filter((row) => row.status === 'pending');
          expect(pending.length, JSON.stringify(state)).toBeLessThanOrEqual(1);
        }
        expect((await deliveries(hook.id)).find((row) => row.id === live.id)?.attempts).toBe(2);

        // On the wire: live, the head (and its retries), the replay once the head is done, then
        // the later live.
        const messageIds = new Map(
          (await deliveries(hook.id)).map((delivery) => [delivery.messageId, delivery.id]),
        );
        const order = lineOf()
          .map((request) => messageIds.get(String(request.headers['webhook-id'])))
          .filter((id, index, all) => id !== all[index - 1]);
        expect(order).toEqual([live.id, stop.id, live.id, again.id]);
        const replay = target.byMessage(live.messageId)[1];
        const headDone = lineOf()
          .filter((request) => request.json.event === 'channel_stop')
          .at(-1)!;
        expect(replay.at).toBeGreaterThanOrEqual(headDone.at);
        expect(replay.at).toBeGreaterThanOrEqual(releasedAt);
      } finally {
        release();
        await reader.close();
      }
    },
  );

  it('repairs a line left without a head, however many replays wait behind open heads', async () => {
    // More lines than one repair pass looks at, each with a replay waiting behind its open head,
    // older than that head: such a line is not stuck, and must not hide the one that is.
    const BUSY = 101;
    const app = await createTestApp(kind, { DELIVERY_RETRY_SCHEDULE: '1h' });
    try {
      const target = await receivers.start((request) =>
        request.json?.event === 'channel_stop' ? { status: 500 } : {},
      );
      const hook = await createWebhook(app, { uri: target.url });
      const busy = [];
      for (let i = 0; i < BUSY; i++) busy.push(await createChannel(app));
      const broken = await createChannel(app);
      const all = [...busy, broken];
      const arrived = (event: string) =>
        target.received.filter((request) => request.json?.event === event).length;
      await Promise.all(all.map((channel) => ingest(app, channel.streamKey, 'publish')));
      await eventually(async () => arrived('channel_live') === all.length, 30_000);
      await Promise.all(all.map((channel) => ingest(app, channel.streamKey, 'unpublish')));
      await eventually(async () => arrived('channel_stop') === all.length, 30_000);

      const rows = app.app.get<DataSource>(DATA_SOURCE);
      const lives = await rows.query<{ id: string | number }[]>(
        `SELECT id FROM delivery WHERE webhook_id = ? AND event = 'channel_live' ORDER BY id`,
        [hook.id],
      );
      expect(lives).toHaveLength(all.length);
      const brokenLive = await app.request(
        'GET',
        `/v1/webhook/${hook.id}/deliveries?channelId=${broken.id}&event=channel_live`,
      );
      const replayed = lives
        .map((row) => String(row.id))
        .filter((id) => id !== brokenLive.body.data[0].id);
      for (const id of replayed) {
        const answer = await app.request(
          'POST',
          `/v1/webhook/${hook.id}/deliveries/${id}/redeliver`,
        );
        expect(answer.body).toMatchObject({ status: 'pending', nextAttemptAt: null });
      }

      // The broken line: its head, failing, is made failed behind the service's back, without
      // promoting the live event that waits behind it (what a lost promotion leaves).
      await ingest(app, broken.streamKey, 'publish');
      const [waiting] = await eventually(async () => {
        const found = await rows.query<{ id: string | number; messageId: string }[]>(
          `SELECT id, message_id AS messageId FROM delivery WHERE channel_id = ? AND status = 'waiting'`,
          [broken.id],
        );
        return found.length === 1 ? found : undefined;
      });
      await rows.query(
        `UPDATE delivery SET status = 'failed', next_attempt_at = NULL` +
          ` WHERE channel_id = ? AND event = 'channel_stop'`,
        [broken.id],
      );
      await eventually(async () => target.byMessage(waiting.messageId).length === 1, 15_000);
      // The replays still wait: their heads are open.
      expect(arrived('channel_live')).toBe(all.length + 1);
    } finally {
      await app.close();
    }
  }, 120_000);

  it('sends a redelivery at once when nothing of its line is open', async () => {
    const target = await receivers.start();
    const hook = await createWebhook(t, { uri: target.url });
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    await ingest(t, channel.streamKey, 'unpublish');
    const log = await eventually(async () => {
      const all = await deliveries(hook.id);
      return all.length === 2 && all.every((delivery) => delivery.status === 'succeeded')
        ? all
        : undefined;
    });
    const live = log.find((delivery) => delivery.event === 'channel_live')!;
    const answer = await t.request(
      'POST',
      `/v1/webhook/${hook.id}/deliveries/${live.id}/redeliver`,
    );
    expect(answer.status).toBe(202);
    expect(answer.body.nextAttemptAt).not.toBeNull();
    await eventually(async () => target.byMessage(live.messageId).length === 2);
    expect(target.received.map((request) => request.json.event)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_live',
    ]);
  });
});
