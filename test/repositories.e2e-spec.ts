import { TypeOrmModule } from '@nestjs/typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelEventEntity } from '../src/channel-events/channel-event.entity.js';
import { ChannelEventRepository } from '../src/channel-events/channel-event.repository.js';
import { ChannelEntity } from '../src/channel/channel.entity.js';
import { ChannelRepository, newIdleChannel } from '../src/channel/channel.repository.js';
import { DomainError, ErrorCode } from '../src/common/errors.js';
import { Transactions } from '../src/database/transactions.js';
import { DeliveryAttemptEntity, DeliveryEntity } from '../src/delivery/delivery.entity.js';
import { type Completion, DeliveryQueue } from '../src/delivery/delivery.queue.js';
import { WebhookEntity, WebhookEventEntity } from '../src/webhook/webhook.entity.js';
import { WebhookRepository } from '../src/webhook/webhook.repository.js';
import { databaseKinds } from './helpers/databases.js';
import { createTestModule, type TestModule } from './helpers/test-module.js';

/** Each table's owner against the real database: the SQL that the unit specs replace. */
describe.each(databaseKinds())('repositories on %s', (kind) => {
  let slice: TestModule;
  let tx: Transactions;
  let webhooks: WebhookRepository;
  let channels: ChannelRepository;
  let events: ChannelEventRepository;
  let queue: DeliveryQueue;

  beforeAll(async () => {
    slice = await createTestModule(kind, {
      // each owner with its tables
      imports: [
        TypeOrmModule.forFeature([WebhookEntity, WebhookEventEntity]),
        TypeOrmModule.forFeature([ChannelEntity]),
        TypeOrmModule.forFeature([ChannelEventEntity]),
        TypeOrmModule.forFeature([DeliveryEntity, DeliveryAttemptEntity]),
      ],
      providers: [WebhookRepository, ChannelRepository, ChannelEventRepository, DeliveryQueue],
    });
    const get = slice.moduleRef.get.bind(slice.moduleRef);
    [tx, webhooks, channels, events, queue] = [
      get(Transactions),
      get(WebhookRepository),
      get(ChannelRepository),
      get(ChannelEventRepository),
      get(DeliveryQueue),
    ];
  });
  afterAll(async () => {
    await slice?.close();
  });

  const webhook = (uri: string, list: Parameters<WebhookRepository['insert']>[1]['events']) =>
    tx.run((m) => webhooks.insert(m, { uri, secret: 'whsec_AAAA', events: list, now: new Date() }));

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

  const event = (channelId: string, name: 'channel_live' | 'channel_stop' = 'channel_live') =>
    tx.run((m) =>
      events.append(m, {
        name,
        channelId,
        sessionId: null,
        eventTime: Date.now(),
        body: JSON.stringify({ event: name, id: channelId }),
        createdAt: new Date(Date.now() - 10_000),
      }),
    );

  describe('WebhookRepository', () => {
    it('keeps events in the order given and ids as strings', async () => {
      const id = await webhook('https://a.example/1', ['channel_stop', 'channel_live']);
      const [found] = await webhooks.findWithEvents([id]);
      expect(typeof found.webhook.id).toBe('string');
      expect(found.events).toEqual(['channel_stop', 'channel_live']);
    });

    it('answers the active subscribers of an event, counting all, once each, oldest first', async () => {
      const live = await webhook('https://b.example/live', ['channel_live', 'channel_stop']);
      const all = await webhook('https://b.example/all', ['all']);
      const paused = await webhook('https://b.example/paused', ['channel_live']);
      await tx.run((m) => webhooks.update(m, paused, { active: false }));
      const ids = (await webhooks.findActiveSubscribers('channel_live')).map((t) => t.id);
      expect(ids).toContain(live);
      expect(ids).toContain(all);
      expect(ids).not.toContain(paused);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.indexOf(live)).toBeLessThan(ids.indexOf(all));
    });

    it('pages with an event filter that a webhook on all always matches', async () => {
      const stop = await webhook('https://c.example/stop', ['channel_stop']);
      const { ids, total } = await webhooks.page(['channel_ended'], 0, 100);
      expect(ids).not.toContain(stop);
      expect(total).toBe(ids.length);
      const [found] = await webhooks.findWithEvents(ids.slice(0, 1));
      expect(found.events).toContain('all');
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
      expect(await webhooks.signingSecrets(id)).toEqual({
        current: 'whsec_BBBB',
        previous: 'whsec_AAAA',
      });
      expect(await webhooks.signingSecrets(id, new Date(soon.getTime() + 1))).toEqual({
        current: 'whsec_BBBB',
      });
    });

    it('starts a failing run, disables past the bound, and a success ends the run', async () => {
      const id = await webhook('https://f.example/x', ['all']);
      const start = new Date(Date.now() - 10_000);
      expect(await tx.run((m) => webhooks.recordFailure(m, id, start, 60_000))).toBe(false);
      expect((await webhooks.deliveryTargets([id])).get(id)!.failingSince).toEqual(start);
      expect(await tx.run((m) => webhooks.recordFailure(m, id, new Date(), 5_000))).toBe(true);
      expect((await webhooks.deliveryTargets([id])).get(id)!.active).toBe(false);
      await tx.run((m) => webhooks.recordSuccess(m, id));
      expect((await webhooks.deliveryTargets([id])).get(id)!.failingSince).toBeNull();
    });
  });

  describe('ChannelRepository', () => {
    it('finds a channel by its stream key only, and never by an over-long one', async () => {
      const id = await channel('key-1');
      expect((await tx.run((m) => channels.lockByStreamKey(m, 'key-1')))?.id).toBe(id);
      expect(await tx.run((m) => channels.lockByStreamKey(m, 'key-2'))).toBeNull();
      expect(await tx.run((m) => channels.lockByStreamKey(m, 'x'.repeat(65)))).toBeNull();
      expect(await channels.streamKeyOf(id)).toBe('key-1');
    });

    it('changes a row only while it is in the state a transition leaves', async () => {
      const id = await channel('key-3');
      expect(await tx.run((m) => channels.transition(m, id, 'live', { status: 'stopped' }))).toBe(
        false,
      );
      expect(await tx.run((m) => channels.transition(m, id, 'idle', { status: 'live' }))).toBe(
        true,
      );
      expect((await channels.findById(id))?.status).toBe('live');
    });

    it('finds the stopped channels whose window ran out, and counts by status', async () => {
      const id = await channel('key-4');
      const due = new Date(Date.now() - 1000);
      await tx.run((m) => channels.update(m, id, { status: 'stopped', endDueAt: due }));
      const found = await tx.run((m) => channels.lockDueStopped(m, new Date(), 100));
      expect(found.map((row) => row.id)).toContain(id);
      expect(
        await tx.run((m) => channels.lockDueStopped(m, new Date(due.getTime() - 1), 100)),
      ).toEqual([]);
      expect((await channels.countByStatus()).stopped).toBeGreaterThanOrEqual(1);
    });
  });

  describe('ChannelEventRepository', () => {
    it("locks a channel's undispatched events in order, up to an id, and marks them", async () => {
      const first = await event('501');
      const second = await event('501', 'channel_stop');
      const upToFirst = await tx.run((m) => events.lockUndispatched(m, '501', 10, first));
      expect(upToFirst.map((row) => row.id)).toEqual([first]);
      expect(await events.undispatchedChannels(new Date(), 100)).toContain('501');
      await tx.run(async (m) => {
        await events.markDispatched(m, first, new Date());
        await events.markDispatched(m, second, new Date());
      });
      expect(await tx.run((m) => events.lockUndispatched(m, '501', 10))).toEqual([]);
      expect((await events.bodies([second])).get(second)).toBe(
        JSON.stringify({ event: 'channel_stop', id: '501' }),
      );
    });
  });

  describe('DeliveryQueue', () => {
    const succeeded = (delivery: Completion['delivery']): Completion => ({
      delivery,
      result: { at: new Date(), statusCode: 200, durationMs: 3, error: null, responseBody: 'ok' },
      decision: { kind: 'succeeded' },
    });

    it('keeps one sendable head per line and promotes the next when it is done', async () => {
      const target = await webhook('https://q.example/x', ['all']);
      const targets = [{ id: target, uri: 'https://q.example/x' }];
      const first = await event('601');
      const second = await event('601', 'channel_stop');
      const now = new Date(Date.now() - 1000);
      // the first of the line is sendable at once, the second waits behind it
      const fanned = [
        { id: first, name: 'channel_live' as const },
        { id: second, name: 'channel_stop' as const },
      ];
      const sendable = await tx.run(async (m) => {
        const counts: number[] = [];
        for (const e of fanned)
          counts.push(await queue.fanOut(m, { ...e, channelId: '601' }, targets, 3, now));
        return counts;
      });
      expect(sendable).toEqual([1, 0]);
      const claimed = (await queue.claim(100, 'me', 60_000)).filter((c) => c.channelId === '601');
      expect(claimed.map((c) => c.event)).toEqual(['channel_live']);
      expect(claimed[0].body).toBe(JSON.stringify({ event: 'channel_live', id: '601' }));
      const [waiting] = (await queue.page(target, undefined, 0, 10))[0].filter(
        (row) => row.event === 'channel_stop',
      );
      const refused = await queue.redeliver(target, waiting.id).catch((error: unknown) => error);
      expect((refused as DomainError).code).toBe(ErrorCode.Conflict);
      const { promoted } = await tx.run((m) => queue.recordBatch(m, [succeeded(claimed[0])], 'me'));
      expect(promoted).toBe(1);
      const next = (await queue.claim(100, 'me', 60_000)).filter((c) => c.channelId === '601');
      expect(next.map((c) => c.event)).toEqual(['channel_stop']);
      expect(await queue.attemptsOf(claimed[0].id)).toHaveLength(1);
    });

    it("records only the lease holder's outcome", async () => {
      const target = await webhook('https://r.example/x', ['all']);
      const id = await queue.enqueuePing(target, '{"event":"ping"}', new Date(Date.now() - 1000));
      const [claimed] = (await queue.claim(100, 'first', 60_000)).filter((c) => c.id === id);
      await tx.run((m) => queue.recordBatch(m, [succeeded(claimed)], 'someone-else'));
      expect((await queue.find(target, id))?.status).toBe('pending');
      expect(await queue.attemptsOf(id)).toHaveLength(1);
      await tx.run((m) => queue.recordBatch(m, [succeeded(claimed)], 'first'));
      expect((await queue.find(target, id))?.status).toBe('succeeded');
    });

    it('counts the backlog', async () => {
      const target = await webhook('https://s.example/x', ['all']);
      const before = await queue.backlog();
      await queue.enqueuePing(target, '{"event":"ping"}', new Date(Date.now() - 5000));
      const after = await queue.backlog();
      expect(after.pending).toBe(before.pending + 1);
      expect(after.due).toBe(before.due + 1);
      expect(after.oldestDueAt).not.toBeNull();
    });
  });
});
