import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelEventRepository } from '../src/channel-events/channel-event.repository.js';
import { ChannelEntity } from '../src/channel/channel.entity.js';
import { ChannelRepository, newIdleChannel } from '../src/channel/channel.repository.js';
import { DomainError, ErrorCode } from '../src/common/errors.js';
import type { Pipeline } from '../src/database/pipeline.js';
import { Transactions } from '../src/database/transactions.js';
import { DeliveryFanOut } from '../src/delivery/delivery-fan-out.js';
import { DeliveryOperations } from '../src/delivery/delivery-operations.js';
import { type Completion, DeliveryQueue } from '../src/delivery/delivery.queue.js';
import { HeadPromotion } from '../src/delivery/head-promotion.js';
import { DeliveryLogRepository } from '../src/delivery-log/delivery-log.repository.js';
import { WebhookDirectory } from '../src/webhook/webhook-directory.js';
import { WebhookRepository } from '../src/webhook/webhook.repository.js';
import { WebhookHealthWrites } from '../src/webhook/webhook-health.writes.js';
import { putActive } from '../src/webhook/webhook-state.js';
import { databaseKinds } from './helpers/databases.js';
import { createTestModule, type TestModule } from './helpers/test-module.js';

/** Each table's owner against the real database: the SQL that the unit specs replace. */
describe.each(databaseKinds())('repositories on %s', (kind) => {
  let slice: TestModule;
  let tx: Transactions;
  let webhooks: WebhookRepository;
  let health: WebhookHealthWrites;
  let channels: ChannelRepository;
  let events: ChannelEventRepository;
  let queue: DeliveryQueue;
  let log: DeliveryLogRepository;
  let operations: DeliveryOperations;
  let writer: DeliveryFanOut;
  let directory: WebhookDirectory;

  beforeAll(async () => {
    slice = await createTestModule(kind, {
      providers: [
        WebhookRepository,
        WebhookHealthWrites,
        WebhookDirectory,
        ChannelRepository,
        ChannelEventRepository,
        DeliveryQueue,
        DeliveryOperations,
        DeliveryFanOut,
        HeadPromotion,
        // the console's reader of the delivery tables
        DeliveryLogRepository,
      ],
    });
    const get = slice.moduleRef.get.bind(slice.moduleRef);
    [tx, webhooks, health, channels, events, queue, log, operations, writer, directory] = [
      get(Transactions),
      get(WebhookRepository),
      get(WebhookHealthWrites),
      get(ChannelRepository),
      get(ChannelEventRepository),
      get(DeliveryQueue),
      get(DeliveryLogRepository),
      get(DeliveryOperations),
      get(DeliveryFanOut),
      get(WebhookDirectory),
    ];
  });
  afterAll(async () => {
    await slice?.close();
  });

  /**
   * A pipelined transaction that commits once `work` has issued its statements. Deferred results
   * come back as handles (not taken inside `work`): they are taken after the commit.
   */
  const inPipeline = <T>(work: (p: Pipeline) => Promise<T> | T): Promise<T> =>
    tx.pipeline(async (p) => {
      const result = await work(p);
      await p.commit();
      return result;
    });

  const webhook = (
    uri: string,
    list: Parameters<WebhookRepository['insert']>[1]['events'],
    limitedTo?: string[],
  ) =>
    tx.run((m) =>
      webhooks.insert(m, {
        uri,
        secret: 'whsec_AAAA',
        events: list,
        channels: limitedTo ? JSON.stringify(limitedTo) : null,
        now: new Date(),
      }),
    );

  const channel = (streamKey: string) =>
    tx.run((m) =>
      channels.insert(
        m,
        newIdleChannel(
          { name: streamKey, description: null, reconnectWindow: 60, streamKey },
          new Date(),
        ),
      ),
    );

  const event = async (channelId: string, name: 'channel_live' | 'channel_stop' = 'channel_live') =>
    (
      await (
        await inPipeline((p) => ({
          ids: events.append(p, [
            {
              name,
              channelId,
              sessionId: null,
              eventTime: Date.now(),
              sequence: 1,
              body: JSON.stringify({ event: name, id: channelId }),
              createdAt: new Date(Date.now() - 10_000),
            },
          ]),
        }))
      ).ids.result()
    )[0];

  describe('WebhookRepository', () => {
    it('keeps events in the order given and ids as strings', async () => {
      const id = await webhook('https://a.example/1', ['channel_stop', 'channel_live']);
      const [found] = await webhooks.findWithEvents([id]);
      expect(typeof found.webhook.id).toBe('string');
      expect(found.events).toEqual(['channel_stop', 'channel_live']);
    });

    it('bumps the version with every change that fan-out or sending reads', async () => {
      const before = await webhooks.version();
      const id = await webhook('https://v.example/x', ['all']);
      await tx.run((m) => webhooks.update(m, id, putActive(false)));
      await tx.run((m) => webhooks.replaceEvents(m, id, ['channel_live']));
      await inPipeline((p) => health.deactivate(p, id, 'gone'));
      await tx.run((m) => webhooks.delete(m, id));
      expect(await webhooks.version()).toBe(before + 5);
    });

    it('gives the directory the active subscribers of an event, counting all, once each, oldest first', async () => {
      const live = await webhook('https://b.example/live', ['channel_live', 'channel_stop']);
      const all = await webhook('https://b.example/all', ['all']);
      const paused = await webhook('https://b.example/paused', ['channel_live']);
      await tx.run((m) => webhooks.update(m, paused, putActive(false)));
      const at = await directory.atLeast(await webhooks.version());
      const ids = at.subscribers('channel_live', '1').map((t) => t.id);
      expect(ids).toContain(live);
      expect(ids).toContain(all);
      expect(ids).not.toContain(paused);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.indexOf(live)).toBeLessThan(ids.indexOf(all));
    });

    it("gives the directory a channel's subscribers: those on every channel and those limited to it, merged oldest first", async () => {
      const before = await webhook('https://l.example/every-1', ['channel_live']);
      const limited = await webhook('https://l.example/limited', ['all'], ['7001', '7002']);
      const after = await webhook('https://l.example/every-2', ['channel_live']);
      const other = await webhook('https://l.example/other', ['channel_live'], ['7003']);
      const at = await directory.atLeast(await webhooks.version());
      const mine = (channelId: string) =>
        at
          .subscribers('channel_live', channelId)
          .map((t) => t.id)
          .filter((id) => [before, limited, after, other].includes(id));
      expect(mine('7001')).toEqual([before, limited, after]);
      expect(mine('7002')).toEqual([before, limited, after]);
      expect(mine('7003')).toEqual([before, after, other]);
      expect(mine('7004')).toEqual([before, after]);
      const stops = at.subscribers('channel_stop', '7002').map((t) => t.id);
      expect(stops).toContain(limited);
      expect(stops).not.toContain(before);
      // ids in numeric order, not text order, when they differ in length
      const all = at.subscribers('channel_live', '7001').map((t) => BigInt(t.id));
      expect(all).toEqual([...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

      const page = async (channel: string) =>
        (await webhooks.page(undefined, channel, 0, 100)).found
          .map((entry) => entry.webhook.id)
          .filter((id) => [before, limited, after, other].includes(id));
      expect(await page('7002')).toEqual([before, limited, after]);
      expect(await page('700')).toEqual([before, after]);
      const [shown] = await webhooks.findWithEvents([limited]);
      expect(shown.webhook.channels).toEqual(['7001', '7002']);
    });

    it('pages with an event filter that a webhook on all always matches', async () => {
      const stop = await webhook('https://c.example/stop', ['channel_stop']);
      const { found, total } = await webhooks.page(['channel_ended'], undefined, 0, 100);
      const ids = found.map((entry) => entry.webhook.id);
      expect(ids).not.toContain(stop);
      expect(total).toBe(ids.length);
      expect(found[0].events).toContain('all');
      const live = await webhooks.page(['channel_live'], undefined, 0, 100);
      expect(live.total).toBeGreaterThan(1);
      const second = await webhooks.page(['channel_live'], undefined, 1, 1);
      expect(second.found.map((entry) => entry.webhook.id)).toEqual([live.found[1].webhook.id]);
      expect(second.total).toBe(live.total);
    });

    it('locks only what exists', async () => {
      expect(await tx.run((m) => webhooks.lock(m, '999999'))).toBe(false);
      const id = await webhook('https://d.example/x', ['all']);
      expect(await tx.run((m) => webhooks.lockSecret(m, id))).toBe('whsec_AAAA');
    });

    it('signs with the previous secret during its grace only', async () => {
      const id = await webhook('https://e.example/x', ['all']);
      const soon = new Date(Date.now() + 60_000);
      await tx.run((m) =>
        webhooks.update(m, id, {
          secret: 'whsec_BBBB',
          previousSecret: 'whsec_AAAA',
          previousSecretExpiresAt: soon,
        }),
      );
      const at = await directory.atLeast(await webhooks.version());
      expect(at.target(id)?.secrets).toEqual({ current: 'whsec_BBBB', previous: 'whsec_AAAA' });
      expect(at.target(id, soon.getTime() + 1)?.secrets).toEqual({ current: 'whsec_BBBB' });
    });

    it('starts a failing run, disables past the bound, and a success ends the run', async () => {
      const id = await webhook('https://f.example/x', ['all']);
      const start = new Date(Date.now() - 10_000);
      const stored = async () => (await webhooks.findWithEvents([id]))[0].webhook;
      const version = await webhooks.version();
      await inPipeline((p) => health.markFailing(p, [id], start));
      expect((await stored()).failingSince).toEqual(start);
      expect(await webhooks.version()).toBe(version + 1);
      // an already failing run keeps its start
      await inPipeline((p) => health.markFailing(p, [id], new Date()));
      expect((await stored()).failingSince).toEqual(start);
      const disable = (threshold: Date) =>
        inPipeline((p) => health.disableIfFailingSince(p, id, threshold, 'failing'));
      expect(await disable(new Date(start.getTime() - 1))).toBe(false);
      expect(await disable(new Date(start.getTime() + 1))).toBe(true);
      expect(await stored()).toMatchObject({ state: 'disabled', disabledReason: 'failing' });
      expect((await directory.atLeast(await webhooks.version())).target(id)?.state).toBe(
        'disabled',
      );
      await inPipeline((p) => health.recordSuccess(p, [id]));
      expect((await stored()).failingSince).toBeNull();
    });
  });

  describe('ChannelRepository', () => {
    it('finds a channel by its stream key only, and never by an over-long one', async () => {
      const id = await channel('key-1');
      const { channels: locked } = await inPipeline((p) =>
        channels.lockByStreamKeys(p, ['key-1', 'key-2', 'x'.repeat(65)]),
      );
      expect([...locked.byKey.keys()]).toEqual(['key-1']);
      expect(locked.byKey.get('key-1')?.id).toBe(id);
      expect(locked.bySessionKey.size).toBe(0);
      expect(await channels.streamKeyOf(id)).toBe('key-1');
    });

    it('changes a row only while it is in the state a transition leaves', async () => {
      const id = await channel('key-3');
      const idle = (await channels.findById(id))!;
      const live = Object.assign(new ChannelEntity(), idle, {
        status: 'live',
        sessionId: 's1',
        liveAt: new Date(),
      });
      const save = (from: 'idle' | 'live') =>
        inPipeline((p) => channels.saveTransitions(p, [{ channel: live, from }]));
      await expect(save('live')).rejects.toThrow(/changed under their lock/);
      expect((await channels.findById(id))?.status).toBe('idle');
      await save('idle');
      expect(await channels.findById(id)).toMatchObject({ status: 'live', sessionId: 's1' });
    });

    it('finds the stopped channels whose window ran out, and counts by status', async () => {
      const id = await channel('key-4');
      const due = new Date(Date.now() - 1000);
      await tx.run((m) => channels.update(m, id, { status: 'stopped', endDueAt: due }));
      // By the database's clock, and as of a given time
      const found = await inPipeline((p) => channels.lockDueStopped(p, 100));
      expect(found.channels.map((row) => row.id)).toContain(id);
      expect(Math.abs(found.now!.getTime() - Date.now())).toBeLessThan(60_000);
      const before = await inPipeline((p) =>
        channels.lockDueStopped(p, 100, new Date(due.getTime() - 1)),
      );
      expect(before.channels).toEqual([]);
      expect((await channels.countByStatus()).stopped).toBeGreaterThanOrEqual(1);
    });
  });

  describe('ChannelEventRepository', () => {
    it("locks channels' undispatched events in order, keeps fan-out progress, and marks them", async () => {
      const first = await event('501');
      const second = await event('501', 'channel_stop');
      const other = await event('502');
      const locked = await inPipeline((p) => events.lockUndispatched(p, ['501', '502'], 10));
      expect(locked.map((row) => [row.id, row.channelId, row.cursor])).toEqual([
        [first, '501', null],
        [second, '501', null],
        [other, '502', null],
      ]);
      expect(await events.undispatchedChannels(new Date(), 100)).toContain('501');
      await inPipeline((p) => events.saveProgress(p, first, '77'));
      expect((await inPipeline((p) => events.lockUndispatched(p, ['501'], 1)))[0].cursor).toBe(
        '77',
      );
      await inPipeline((p) => events.markDispatched(p, [first, second, other], new Date()));
      expect(await inPipeline((p) => events.lockUndispatched(p, ['501', '502'], 10))).toEqual([]);
      expect((await events.bodies([second])).get(second)).toEqual({
        body: JSON.stringify({ event: 'channel_stop', id: '501' }),
        traceParent: null,
      });
    });
  });

  describe('DeliveryQueue', () => {
    const succeeded = (delivery: Completion['delivery']): Completion => ({
      delivery,
      result: {
        at: new Date(),
        statusCode: 200,
        durationMs: 3,
        error: null,
        responseBody: 'ok',
        requestHeaders: null,
        responseHeaders: null,
      },
      decision: { kind: 'succeeded' },
    });

    it('keeps one sendable head per line and promotes the next when it is done', async () => {
      const target = await webhook('https://q.example/x', ['all']);
      const targets = [{ id: target, uri: 'https://q.example/x' }];
      const first = await event('601');
      const second = await event('601', 'channel_stop');
      const body = (name: string) => JSON.stringify({ event: name, id: '601' });
      // the first of the line is sendable at once, the second waits behind it
      const written = await inPipeline((p) =>
        writer.write(
          p,
          [
            {
              event: {
                id: first,
                name: 'channel_live',
                channelId: '601',
                body: body('channel_live'),
              },
              targets,
            },
            {
              event: {
                id: second,
                name: 'channel_stop',
                channelId: '601',
                body: body('channel_stop'),
              },
              targets,
            },
          ],
          3,
          { owner: 'me', ms: 60_000, count: 0 },
        ),
      );
      expect(written).toMatchObject({ inserted: 2, sendable: 1 });
      expect(await written.leased.result()).toEqual([]);
      const claim = (owner: string) =>
        inPipeline((p) => queue.claim(p, 100, { owner, ms: 60_000 }));
      const claimed = (await claim('me')).filter((c) => c.channelId === '601');
      expect(claimed.map((c) => c.event)).toEqual(['channel_live']);
      expect(claimed[0].body).toBe(JSON.stringify({ event: 'channel_live', id: '601' }));
      const [waiting] = (await log.page(target, {}, 0, 10))[0].filter(
        (row) => row.event === 'channel_stop',
      );
      const refused = await operations
        .redeliver(target, waiting.id)
        .catch((error: unknown) => error);
      expect((refused as DomainError).code).toBe(ErrorCode.Conflict);
      const { promoted } = await inPipeline((p) => queue.record(p, [succeeded(claimed[0])], 'me'));
      expect(promoted).toBe(1);
      const next = (await claim('me')).filter((c) => c.channelId === '601');
      expect(next.map((c) => c.event)).toEqual(['channel_stop']);
      expect(await log.attemptsOf(claimed[0].id)).toHaveLength(1);
    });

    it('moves a line on when its follower was queued by a later fan-out', async () => {
      const target = await webhook('https://f2.example/x', ['all']);
      const targets = [{ id: target, uri: 'https://f2.example/x' }];
      const lease = { owner: 'me', ms: 60_000, count: 0 };
      const fanOut = async (name: 'channel_live' | 'channel_stop') => {
        const id = await event('603', name);
        return inPipeline((p) =>
          writer.write(
            p,
            [{ event: { id, name, channelId: '603', body: '{}' }, targets }],
            3,
            lease,
          ),
        );
      };
      expect((await fanOut('channel_live')).sendable).toBe(1);
      const claim = () => inPipeline((p) => queue.claim(p, 100, { owner: 'me', ms: 60_000 }));
      const [head] = (await claim()).filter((c) => c.channelId === '603');
      expect((await fanOut('channel_stop')).sendable).toBe(0);
      const { promoted } = await inPipeline((p) => queue.record(p, [succeeded(head)], 'me'));
      expect(promoted).toBe(1);
      expect((await claim()).filter((c) => c.channelId === '603').map((c) => c.event)).toEqual([
        'channel_stop',
      ]);
    });

    it('writes the deliveries it has room for already leased, with their ids', async () => {
      const a = await webhook('https://l.example/a', ['all']);
      const b = await webhook('https://l.example/b', ['all']);
      const id = await event('602');
      const written = await inPipeline((p) =>
        writer.write(
          p,
          [
            {
              event: { id, name: 'channel_live', channelId: '602', body: '{"x":1}' },
              targets: [
                { id: a, uri: 'https://l.example/a' },
                { id: b, uri: 'https://l.example/b' },
              ],
            },
          ],
          3,
          { owner: 'fan-out', ms: 60_000, count: 1 },
        ),
      );
      const all = await written.leased.result();
      expect(all).toHaveLength(1);
      const [leased] = all;
      expect(leased).toMatchObject({
        webhookId: a,
        channelId: '602',
        body: '{"x":1}',
        attempts: 0,
      });
      expect((await queue.find(a, leased.id))?.messageId).toBe(leased.messageId);
      // the leased one is not claimable by others; the other one is
      const claimed = (
        await inPipeline((p) => queue.claim(p, 100, { owner: 'x', ms: 60_000 }))
      ).filter((c) => c.channelId === '602');
      expect(claimed.map((c) => c.webhookId)).toEqual([b]);
    });

    it("records only the lease holder's outcome, and a retry's due time by the database's clock", async () => {
      const target = await webhook('https://r.example/x', ['all']);
      const id = await operations.enqueueTest(target, 'ping', '{"event":"ping"}');
      const [claimed] = (
        await inPipeline((p) => queue.claim(p, 100, { owner: 'first', ms: 60_000 }))
      ).filter((c) => c.id === id);
      await inPipeline((p) => queue.record(p, [succeeded(claimed)], 'someone-else'));
      expect((await queue.find(target, id))?.status).toBe('pending');
      expect(await log.attemptsOf(id)).toHaveLength(1);
      const retry: Completion = {
        ...succeeded(claimed),
        decision: { kind: 'retry', waitMs: 60_000 },
      };
      const before = Date.now();
      await inPipeline((p) => queue.record(p, [retry], 'first'));
      const stored = await queue.find(target, id);
      expect(stored?.status).toBe('pending');
      expect(stored?.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + 59_000);
      expect(stored?.leaseOwner).toBeNull();
    });

    it('counts the backlog', async () => {
      const target = await webhook('https://s.example/x', ['all']);
      const before = await queue.backlog();
      await operations.enqueueTest(target, 'ping', '{"event":"ping"}');
      const after = await queue.backlog();
      expect(after.pending).toBe(before.pending + 1);
      expect(after.due).toBe(before.due + 1);
      expect(after.oldestDueAgeMs).toBeGreaterThanOrEqual(0);
    });
  });
});
