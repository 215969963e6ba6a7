import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, ingest, storedEvents } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

describe.each(databaseKinds())('channel API on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('create and read', () => {
    it('creates an idle channel with defaults and a URL-safe stream key of at least 128 bits', async () => {
      const response = await t.request('POST', '/v1/channel', {
        body: { name: '  Morning show ' },
      });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^\d+$/),
        name: 'Morning show',
        description: null,
        status: 'idle',
        reconnectWindow: 60,
        sessionId: null,
        liveAt: null,
        stoppedAt: null,
        endedAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        streamKey: expect.stringMatching(/^[A-Za-z0-9_-]{22,}$/),
      });
      expect(Buffer.from(response.body.streamKey, 'base64url').length * 8).toBeGreaterThanOrEqual(
        128,
      );
      const read = await t.request('GET', `/v1/channel/${response.body.id}`);
      const { streamKey: _streamKey, ...withoutKey } = response.body;
      expect(read.body).toEqual(withoutKey);
    });

    it('takes a description and a reconnect window of 0 … 1800', async () => {
      for (const reconnectWindow of [0, 1800]) {
        const created = await createChannel(t, { description: 'about', reconnectWindow });
        expect(created).toMatchObject({ reconnectWindow, description: 'about' });
      }
    });

    it.each([
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(256) }, 'name'],
      [{ name: 7 }, 'name'],
      [{ name: 'a', reconnectWindow: -1 }, 'reconnectWindow'],
      [{ name: 'a', reconnectWindow: 1801 }, 'reconnectWindow'],
      [{ name: 'a', reconnectWindow: 1.5 }, 'reconnectWindow'],
      [{ name: 'a', reconnectWindow: '60' }, 'reconnectWindow'],
      [{ name: 'a', description: 'x'.repeat(2001) }, 'description'],
      [{ name: 'a', description: 5 }, 'description'],
      [{ name: 'a', status: 'live' }, 'status'],
      [{ name: 'a', streamKey: 'mine' }, 'streamKey'],
    ])('answers 400 for %j naming %s, creating nothing', async (body, named) => {
      const before = (await t.request('GET', '/v1/channel')).body.total;
      const response = await t.request('POST', '/v1/channel', { body });
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain(named);
      expect((await t.request('GET', '/v1/channel')).body.total).toBe(before);
    });

    it('answers 404 for unknown and malformed ids on every channel route', async () => {
      for (const id of ['999999999', 'abc', '0']) {
        for (const [method, suffix] of [
          ['GET', ''],
          ['PUT', ''],
          ['DELETE', ''],
          ['GET', '/stream-key'],
          ['POST', '/stream-key'],
          ['POST', '/end'],
        ]) {
          const response = await t.request(method, `/v1/channel/${id}${suffix}`, {
            body: method === 'PUT' ? { name: 'x' } : undefined,
          });
          expect(response.status, `${method} ${id}${suffix}`).toBe(404);
          expect(response.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
        }
      }
    });
  });

  describe('list', () => {
    it('pages oldest first and filters by status', async () => {
      const fresh = await createTestApp(kind);
      try {
        const ids: string[] = [];
        for (let i = 0; i < 12; i++) ids.push((await createChannel(fresh, { name: `c${i}` })).id);
        const live = await fresh.request('GET', `/v1/channel/${ids[3]}/stream-key`);
        await ingest(fresh, live.body.streamKey, 'publish');
        const first = await fresh.request('GET', '/v1/channel?length=5');
        expect(first.body).toMatchObject({ total: 12, length: 5, page: 0 });
        expect(first.body.data.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, 5));
        const last = await fresh.request('GET', '/v1/channel?length=5&page=2');
        expect(last.body).toMatchObject({ total: 12, length: 2, page: 2 });
        expect((await fresh.request('GET', '/v1/channel?length=5&page=3')).body).toEqual({
          data: [],
          total: 12,
          length: 0,
          page: 3,
        });
        const onlyLive = await fresh.request('GET', '/v1/channel?status=live');
        expect(onlyLive.body.total).toBe(1);
        expect(onlyLive.body.data[0].id).toBe(ids[3]);
        expect((await fresh.request('GET', '/v1/channel?status=idle')).body.total).toBe(11);
        for (const query of ['status=on', 'page=-1', 'length=101', 'length=x', 'colour=red']) {
          expect((await fresh.request('GET', `/v1/channel?${query}`)).status, query).toBe(400);
        }
        expect(JSON.stringify(first.body)).not.toContain(live.body.streamKey);
      } finally {
        await fresh.close();
      }
    });
  });

  describe('update', () => {
    it('changes one field or several; what is left out stays; null clears the description', async () => {
      const created = await createChannel(t, { description: 'old' });
      const renamed = await t.request('PUT', `/v1/channel/${created.id}`, {
        body: { name: 'Evening show' },
      });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({
        name: 'Evening show',
        description: 'old',
        reconnectWindow: 60,
      });
      const both = await t.request('PUT', `/v1/channel/${created.id}`, {
        body: { description: null, reconnectWindow: 5 },
      });
      expect(both.body).toMatchObject({
        name: 'Evening show',
        description: null,
        reconnectWindow: 5,
      });
      expect(both.body).not.toHaveProperty('streamKey');
    });

    it('answers 400 for an empty or bad body, changing nothing', async () => {
      const created = await createChannel(t);
      for (const body of [
        {},
        { name: '' },
        { name: null },
        { reconnectWindow: null },
        { reconnectWindow: 5000 },
        { status: 'live' },
      ]) {
        expect(
          (await t.request('PUT', `/v1/channel/${created.id}`, { body })).status,
          JSON.stringify(body),
        ).toBe(400);
      }
      expect((await t.request('GET', `/v1/channel/${created.id}`)).body).toMatchObject({
        name: 'Morning show',
        reconnectWindow: 60,
      });
    });
  });

  describe('stream key', () => {
    it('is read by its own route, rotated, and the old key stops working at once', async () => {
      const created = await createChannel(t);
      const read = await t.request('GET', `/v1/channel/${created.id}/stream-key`);
      expect(read.body).toEqual({ streamKey: created.streamKey });
      const rotated = await t.request('POST', `/v1/channel/${created.id}/stream-key`);
      expect(rotated.status).toBe(200);
      expect(rotated.body.streamKey).not.toBe(created.streamKey);
      expect((await t.request('GET', `/v1/channel/${created.id}/stream-key`)).body.streamKey).toBe(
        rotated.body.streamKey,
      );
      const old = await ingest(t, created.streamKey, 'publish');
      expect(old.status).toBe(403);
      expect((await t.request('GET', `/v1/channel/${created.id}`)).body.status).toBe('idle');
      expect((await ingest(t, rotated.body.streamKey, 'publish')).status).toBe(200);
    });

    it('is in no other answer and in no event', async () => {
      const created = await createChannel(t, { reconnectWindow: 0 });
      await ingest(t, created.streamKey, 'publish');
      const answers = [
        await t.request('GET', `/v1/channel/${created.id}`),
        await t.request('GET', '/v1/channel?length=100'),
        await t.request('PUT', `/v1/channel/${created.id}`, { body: { name: 'n' } }),
        await t.request('POST', `/v1/channel/${created.id}/end`),
        await t.request('DELETE', `/v1/channel/${created.id}`),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.text).not.toContain(created.streamKey);
        expect(answer.text).not.toContain('streamKey');
      }
      for (const event of await storedEvents(t, created.id)) {
        expect(event.rawBody).not.toContain(created.streamKey);
        expect(event.body).not.toHaveProperty('streamKey');
      }
    });
  });

  describe('end and delete', () => {
    it('POST /end answers 409 for an idle channel and ends a live one with one channel_ended', async () => {
      const created = await createChannel(t);
      const idle = await t.request('POST', `/v1/channel/${created.id}/end`);
      expect(idle.status).toBe(409);
      expect(idle.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
      await ingest(t, created.streamKey, 'publish');
      const ended = await t.request('POST', `/v1/channel/${created.id}/end`);
      expect(ended.status).toBe(200);
      expect(ended.body).toMatchObject({ status: 'ended', endedAt: expect.any(String) });
      expect((await t.request('POST', `/v1/channel/${created.id}/end`)).status).toBe(409);
      expect((await storedEvents(t, created.id)).map((event) => event.name)).toEqual([
        'channel_live',
        'channel_ended',
      ]);
    });

    it('POST /end ends a stopped channel', async () => {
      const created = await createChannel(t);
      await ingest(t, created.streamKey, 'publish');
      await ingest(t, created.streamKey, 'unpublish');
      expect((await t.request('POST', `/v1/channel/${created.id}/end`)).body.status).toBe('ended');
      expect((await storedEvents(t, created.id)).map((event) => event.name)).toEqual([
        'channel_live',
        'channel_stop',
        'channel_ended',
      ]);
    });

    it('DELETE ends a live channel first (its channel_ended is recorded), then removes it', async () => {
      const created = await createChannel(t);
      await ingest(t, created.streamKey, 'publish');
      const deleted = await t.request('DELETE', `/v1/channel/${created.id}`);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({});
      expect((await t.request('GET', `/v1/channel/${created.id}`)).status).toBe(404);
      const events = await storedEvents(t, created.id);
      expect(events.map((event) => event.name)).toEqual(['channel_live', 'channel_ended']);
      expect(events[1].body).toMatchObject({
        event: 'channel_ended',
        id: created.id,
        status: 'ended',
      });
      expect((await ingest(t, created.streamKey, 'publish')).status).toBe(403);
    });

    it('DELETE of an idle channel records no event', async () => {
      const created = await createChannel(t);
      expect((await t.request('DELETE', `/v1/channel/${created.id}`)).status).toBe(200);
      expect(await storedEvents(t, created.id)).toEqual([]);
    });
  });
});
