import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transactions } from '../src/database/transactions.js';
import { Sql } from '../src/database/sql.js';
import { DeliveryOperations } from '../src/delivery/delivery-operations.js';
import { DeliveryRetention } from '../src/delivery/delivery-retention.js';
import { WebhookRepository } from '../src/webhook/webhook.repository.js';
import { createChannel, eventually, ingest, storedEvents } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { receiverPool } from './helpers/receiver.js';
import { seedDeliveries } from './helpers/seed-deliveries.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';
import { DATA_SOURCE } from '../src/database/data-source.token.js';

interface LineRow {
  id: string;
  channelId: string;
  status: string;
  hasFollowers: boolean;
  attempts: number;
  maxAttempts: number;
}

/**
 * Storage that stops growing and work that stays bounded: recover and webhook deletes in chunks,
 * the outbox pruned with the deliveries' retention, the answers kept per attempt capped in bytes.
 */
describe.each(databaseKinds())('storage on %s', (kind) => {
  let t: TestApp;
  const receivers = receiverPool();

  const query = <T>(sql: string, values: unknown[] = []) =>
    t.app.get<DataSource>(DATA_SOURCE).query<T>(sql, values);
  const webhook = (uri: string, event: string | string[] = 'all') =>
    createWebhook(t, { uri, event });
  /** A webhook's deliveries as stored, in id order. */
  const linesOf = async (webhookId: string): Promise<LineRow[]> =>
    (
      await query<Record<string, string | number>[]>(
        'SELECT id, channel_id AS channelId, status, has_followers AS hasFollowers, attempts,' +
          ' max_attempts AS maxAttempts FROM delivery WHERE webhook_id = ? ORDER BY id',
        [webhookId],
      )
    ).map((row) => ({
      id: String(row.id),
      channelId: String(row.channelId),
      status: String(row.status),
      hasFollowers: Boolean(Number(row.hasFollowers)),
      attempts: Number(row.attempts),
      maxAttempts: Number(row.maxAttempts),
    }));
  /**
   * The line rule over a webhook's open deliveries: per channel, the oldest is the head (pending)
   * and the rest wait; every one but the last has followers.
   */
  const expectWholeLines = (rows: LineRow[]) => {
    const byLine = new Map<string, LineRow[]>();
    for (const row of rows.filter((row) => ['pending', 'waiting'].includes(row.status))) {
      byLine.set(row.channelId, [...(byLine.get(row.channelId) ?? []), row]);
    }
    for (const [channelId, line] of byLine) {
      const shape = line.map((row, index) => [
        row.status,
        index < line.length - 1 ? row.hasFollowers : 'last',
      ]);
      const expected = line.map((_row, index) => [
        index === 0 ? 'pending' : 'waiting',
        index < line.length - 1 ? true : 'last',
      ]);
      expect(shape, `line of channel ${channelId}`).toEqual(expected);
    }
    return byLine;
  };

  beforeAll(async () => {
    t = await createTestApp(kind, {
      DELIVERY_RETRY_SCHEDULE: '1h',
      DELIVERY_TIMEOUT: '2s',
      DELIVERY_RETENTION: '1d',
    });
  });
  afterAll(async () => {
    await t?.close();
    await receivers.closeAll();
  });

  it('recovers 33,120 failed deliveries: 202, every one queued again, one head per line', async () => {
    const target = await receivers.start();
    const hook = await webhook(target.url);
    // Paused: the recovered deliveries stay queued (held), so the queue can be read as recover left it.
    await t.request('PUT', `/v1/webhook/${hook.id}`, { body: { active: false } });
    const since = new Date(Date.now() - 60_000).toISOString();
    const count = 33_120;
    await seedDeliveries(t, { webhookId: hook.id, count, channels: 2_070 });

    const recovered = await t.request('POST', `/v1/webhook/${hook.id}/recover`, {
      body: { since },
    });
    expect(recovered.status, recovered.text).toBe(202);
    expect(recovered.body).toEqual({ recovered: count });

    const rows = await linesOf(hook.id);
    expect(rows).toHaveLength(count);
    expect(rows.filter((row) => row.status === 'failed')).toHaveLength(0);
    expect(rows.every((row) => row.maxAttempts === row.attempts + 1)).toBe(true);
    const lines = expectWholeLines(rows);
    expect(lines.size).toBe(2_070);
    const failedPage = await t.request('GET', `/v1/webhook/${hook.id}/deliveries?status=failed`);
    expect(failedPage.body.total).toBe(0);

    // And the whole log of 33,120 goes with its webhook, a chunk at a time.
    expect((await t.request('DELETE', `/v1/webhook/${hook.id}`)).status).toBe(200);
    expect(await linesOf(hook.id)).toHaveLength(0);
  }, 300_000);

  it('resumes a recover stopped midway: the same call queues the rest, in line order, all sent', async () => {
    const target = await receivers.start();
    const hook = await webhook(target.url);
    const since = new Date(Date.now() - 60_000).toISOString();
    const seeded = await seedDeliveries(t, {
      webhookId: hook.id,
      count: 2_500,
      channels: 250,
      firstChannel: 2_000_000,
    });
    // The process stops after the first chunk has committed.
    await expect(
      t.app.get(DeliveryOperations).recover(hook.id, new Date(since), undefined, () => {
        throw new Error('stopped');
      }),
    ).rejects.toThrow('stopped');
    const halfway = await linesOf(hook.id);
    expect(halfway.filter((row) => row.status === 'failed')).toHaveLength(1_500);

    const rest = await t.request('POST', `/v1/webhook/${hook.id}/recover`, { body: { since } });
    expect(rest).toMatchObject({ status: 202, body: { recovered: 1_500 } });
    const rows = await eventually(async () => {
      const all = await linesOf(hook.id);
      return all.every((row) => row.status === 'succeeded') ? all : undefined;
    }, 240_000);
    expect(rows).toHaveLength(2_500);
    // Each message once, and per channel in the deliveries' order.
    const messageOf = new Map(
      (
        await query<{ id: string | number; messageId: string }[]>(
          'SELECT id, message_id AS messageId FROM delivery WHERE webhook_id = ?',
          [hook.id],
        )
      ).map((row) => [row.messageId, String(row.id)]),
    );
    const sent = target.received.map((request) =>
      messageOf.get(String(request.headers['webhook-id']))!,
    );
    expect(new Set(sent).size).toBe(2_500);
    expect(sent).toHaveLength(2_500);
    const channelOf = new Map(rows.map((row) => [row.id, row.channelId]));
    const sentPerChannel = new Map<string, number[]>();
    for (const id of sent) {
      const channelId = channelOf.get(id)!;
      sentPerChannel.set(channelId, [...(sentPerChannel.get(channelId) ?? []), Number(id)]);
    }
    for (const ids of sentPerChannel.values()) expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(seeded).toHaveLength(2_500);
  }, 300_000);

  it('deletes a webhook with thousands of deliveries in chunks; a delete stopped midway leaves whole lines and no orphan', async () => {
    const target = await receivers.start();
    const doomed = await webhook(target.url);
    const other = await webhook(target.url);
    await t.request('PUT', `/v1/webhook/${doomed.id}`, { body: { active: false } });
    const ids = await seedDeliveries(t, {
      webhookId: doomed.id,
      count: 3_500,
      channels: 30,
      status: 'succeeded',
      attemptsEach: 2,
      firstChannel: 3_000_000,
    });
    const pendingIds = await seedDeliveries(t, {
      webhookId: doomed.id,
      count: 300,
      channels: 30,
      status: 'pending',
      firstChannel: 3_000_000,
    });
    const kept = await seedDeliveries(t, {
      webhookId: other.id,
      count: 100,
      channels: 5,
      status: 'failed',
      firstChannel: 3_000_000,
    });
    // Lines as fan-out writes them: the first open delivery of each channel heads it.
    const heads = new Map<string, string>();
    for (const row of await linesOf(doomed.id)) {
      if (row.status === 'pending' && !heads.has(row.channelId)) heads.set(row.channelId, row.id);
    }
    await t.app.get(Transactions).run(async (manager) => {
      const waiting = pendingIds.filter((id) => ![...heads.values()].includes(id));
      for (let start = 0; start < waiting.length; start += 100) {
        const slice = waiting.slice(start, start + 100);
        await manager.query(
          `UPDATE delivery SET status = 'waiting', next_attempt_at = NULL WHERE id IN (${slice.map(() => '?').join(', ')})`,
          slice,
        );
      }
      await manager.query(
        `UPDATE delivery SET has_followers = 1 WHERE webhook_id = ? AND status IN ('pending', 'waiting')`,
        [doomed.id],
      );
      const lastOfLine = await manager.query<{ id: string | number }[]>(
        `SELECT MAX(id) AS id FROM delivery WHERE webhook_id = ? AND status IN ('pending', 'waiting') GROUP BY channel_id`,
        [doomed.id],
      );
      for (const row of lastOfLine) {
        await manager.query('UPDATE delivery SET has_followers = 0 WHERE id = ?', [row.id]);
      }
    });
    const attemptsOf = async (webhookId: string) =>
      Number(
        (
          await query<{ n: string | number }[]>(
            'SELECT COUNT(*) AS n FROM delivery_attempt a JOIN delivery d ON d.id = a.delivery_id' +
              ' WHERE d.webhook_id = ?',
            [webhookId],
          )
        )[0].n,
      );
    const orphans = async () =>
      Number(
        (
          await query<{ n: string | number }[]>(
            'SELECT COUNT(*) AS n FROM delivery_attempt a' +
              ' WHERE NOT EXISTS (SELECT 1 FROM delivery d WHERE d.id = a.delivery_id)',
          )
        )[0].n,
      ) +
      Number(
        (
          await query<{ n: string | number }[]>(
            'SELECT COUNT(*) AS n FROM delivery d' +
              ' WHERE NOT EXISTS (SELECT 1 FROM webhook w WHERE w.id = d.webhook_id)',
          )
        )[0].n,
      );
    expect(await attemptsOf(doomed.id)).toBe(7_000);

    // The process stops after the first chunk: the webhook is still there, its lines whole.
    await t.app
      .get(Transactions)
      .run((manager) => t.app.get(WebhookRepository).deleteLogChunk(manager, doomed.id, 100));
    expect((await t.request('GET', `/v1/webhook/${doomed.id}`)).status).toBe(200);
    const left = await linesOf(doomed.id);
    expect(left).toHaveLength(3_800 - 100);
    expect(left[left.length - 1].id).toBe(pendingIds[199]);
    expect(expectWholeLines(left).size).toBe(30);
    expect(ids).toHaveLength(3_500);
    expect(await orphans()).toBe(0);

    const deleted = await t.request('DELETE', `/v1/webhook/${doomed.id}`);
    expect(deleted.status, deleted.text).toBe(200);
    expect((await t.request('GET', `/v1/webhook/${doomed.id}`)).status).toBe(404);
    expect(await linesOf(doomed.id)).toHaveLength(0);
    expect(await orphans()).toBe(0);
    // The other webhook keeps everything.
    expect((await linesOf(other.id)).map((row) => row.id)).toEqual(kept);
    expect(await attemptsOf(other.id)).toBe(100);
  }, 300_000);

  it('prunes the outbox with the retention: only old, fanned-out events no delivery refers to', async () => {
    const sql = t.app.get(Sql);
    const old = new Date(Date.now() - 2 * 86_400_000);
    const target = await receivers.start();
    const hook = await webhook(target.url);
    await t.request('PUT', `/v1/webhook/${hook.id}`, { body: { active: false } });
    const write = (values: unknown[]) =>
      t.app
        .get(Transactions)
        .run((manager) =>
          manager.query(
            'INSERT INTO channel_event (name, channel_id, session_id, event_time, body,' +
              ' created_at, dispatched_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
            values,
          ),
        );
    const event = (channelId: number, dispatched: Date | null) => [
      'channel_live',
      channelId,
      's',
      old.getTime(),
      JSON.stringify({ event: 'channel_live', eventTime: old.getTime(), id: String(channelId) }),
      sql.time(old),
      dispatched === null ? null : sql.time(dispatched),
    ];
    // old and fanned out, no delivery: pruned
    await write(event(4_000_001, old));
    await write(event(4_000_001, old));
    // old, but its fan-out never finished: kept (the sweeper fans it out)
    await write(event(4_000_002, null));
    // old and fanned out, but a delivery still sends its body: kept
    const [referenced] = await seedDeliveries(t, {
      webhookId: hook.id,
      count: 1,
      channels: 1,
      status: 'pending',
      at: old,
      firstChannel: 4_000_003,
    });
    // old and fanned out, its delivery finished but not yet past the retention: kept
    const [finished] = await seedDeliveries(t, {
      webhookId: hook.id,
      count: 1,
      channels: 1,
      status: 'succeeded',
      firstChannel: 4_000_004,
    });
    await t.app
      .get(Transactions)
      .run((manager) =>
        manager.query(
          'UPDATE channel_event SET created_at = ?, dispatched_at = ? WHERE id IN' +
            ' (SELECT event_id FROM delivery WHERE id IN (?, ?))',
          [sql.time(old), sql.time(old), referenced, finished],
        ),
      );
    // recent: a channel goes live now (no subscriber but the paused webhook): kept
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    await eventually(async () => (await storedEvents(t, channel.id))[0]?.dispatchedAt ?? undefined);

    await t.app.get(DeliveryRetention).purge();
    const after = (await storedEvents(t)).map((row) => row.channelId);
    expect(after).not.toContain('4000001');
    expect(after).toEqual(expect.arrayContaining(['4000002', '4000003', '4000004', channel.id]));
    // the delivery log still shows the payload of the one referenced
    const detail = await t.request('GET', `/v1/webhook/${hook.id}/deliveries/${referenced}`);
    expect(detail.body.payload).toMatchObject({ event: 'channel_live', id: '4000003' });
  });

  it('keeps answers up to the byte caps in UTF-8, cut on a whole character, and says they were cut', async () => {
    const ten = 'ok'.repeat(5 * 1024);
    const emoji = '😀中é'.repeat(12 * 1024); // 9 bytes each: 108 KiB
    const success = await receivers.start(() => ({ status: 200, body: ten }));
    const failure = await receivers.start(() => ({ status: 500, body: emoji }));
    const okHook = await webhook(success.url, 'channel_live');
    const failingHook = await webhook(failure.url, 'channel_live');
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    const attemptOf = (webhookId: string) =>
      eventually(async () => {
        const page = await t.request('GET', `/v1/webhook/${webhookId}/deliveries`);
        const [delivery] = page.body.data as { id: string; attempts: number }[];
        if (!delivery || delivery.attempts < 1) return undefined;
        const detail = await t.request('GET', `/v1/webhook/${webhookId}/deliveries/${delivery.id}`);
        return detail.body.attempts[0] as { responseBody: string; responseBodyTruncated: boolean };
      }, 20_000);
    const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

    const kept2xx = await attemptOf(okHook.id);
    expect(kept2xx.responseBody).toBe(ten.slice(0, 1024));
    expect(kept2xx.responseBodyTruncated).toBe(true);

    const kept500 = await attemptOf(failingHook.id);
    expect(bytes(kept500.responseBody)).toBeLessThanOrEqual(64 * 1024);
    expect(bytes(kept500.responseBody)).toBeGreaterThan(64 * 1024 - 4);
    expect(emoji.startsWith(kept500.responseBody)).toBe(true);
    expect(kept500.responseBody).not.toContain('\ufffd');
    expect(kept500.responseBodyTruncated).toBe(true);
    // as stored, too
    const [stored] = await query<{ body: string; truncated: number | boolean }[]>(
      'SELECT a.response_body AS body, a.response_truncated AS truncated FROM delivery_attempt a' +
        ' JOIN delivery d ON d.id = a.delivery_id WHERE d.webhook_id = ?',
      [failingHook.id],
    );
    expect(stored.body).toBe(kept500.responseBody);
    expect(Boolean(Number(stored.truncated))).toBe(true);
  });
});
