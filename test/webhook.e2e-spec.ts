import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from './helpers/databases.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

const URI = 'https://app.example.com/hooks/live';

describe.each(databaseKinds())('webhook API on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = (event: string | string[], uri = URI) => createWebhook(t, { uri, event });

  describe('create', () => {
    it('takes a comma-separated list and answers the webhook with its secret', async () => {
      const response = await t.request('POST', '/v1/webhook', {
        body: { uri: URI, event: 'channel_live,channel_ended' },
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        uri: URI,
        event: ['channel_live', 'channel_ended'],
        active: true,
      });
      expect(response.body.id).toMatch(/^\d+$/);
      expect(response.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(response.body.secret.slice(6), 'base64')).toHaveLength(32);
      expect(new Date(response.body.createdAt).getTime()).not.toBeNaN();
    });

    it('takes an array, trims blanks, drops repeats and keeps first-appearance order', async () => {
      expect((await create([' channel_stop ', 'channel_live', 'channel_stop'])).event).toEqual([
        'channel_stop',
        'channel_live',
      ]);
      expect((await create(' channel_ended , channel_live,channel_ended ')).event).toEqual([
        'channel_ended',
        'channel_live',
      ]);
    });

    it('stores all, and all with names is just all', async () => {
      expect((await create('all')).event).toEqual(['all']);
      expect((await create('channel_live,all')).event).toEqual(['all']);
      expect((await create(['all', 'channel_stop'])).event).toEqual(['all']);
    });

    it('accepts a caller-chosen secret and refuses a malformed one', async () => {
      const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
      const ok = await t.request('POST', '/v1/webhook', {
        body: { uri: URI, event: 'all', secret },
      });
      expect(ok.status).toBe(201);
      expect(ok.body.secret).toBe(secret);
      for (const bad of [
        'nope',
        'whsec_',
        `whsec_${Buffer.alloc(8).toString('base64')}`,
        'whsec_!!!!',
        42,
      ]) {
        const response = await t.request('POST', '/v1/webhook', {
          body: { uri: URI, event: 'all', secret: bad },
        });
        expect(response.status).toBe(400);
        expect(JSON.stringify(response.body.message)).toContain('secret');
      }
    });

    it.each([
      ['a missing uri', { event: 'all' }, 'uri'],
      ['a relative uri', { uri: '/hooks', event: 'all' }, 'uri'],
      ['an ftp uri', { uri: 'ftp://example.com/x', event: 'all' }, 'uri'],
      [
        'a uri over 2048 characters',
        { uri: `https://example.com/${'a'.repeat(2040)}`, event: 'all' },
        'uri',
      ],
      ['a numeric uri', { uri: 42, event: 'all' }, 'uri'],
      ['a missing event', { uri: URI }, 'event'],
      ['an unknown event', { uri: URI, event: 'channel_live,channel_start' }, 'channel_start'],
      [
        'an empty event name',
        { uri: URI, event: 'channel_live,,channel_stop' },
        'event has an empty event name',
      ],
      ['an empty string', { uri: URI, event: '' }, 'event'],
      ['an empty array', { uri: URI, event: [] }, 'event'],
      ['a number as event', { uri: URI, event: 5 }, 'event'],
      ['an array holding a number', { uri: URI, event: ['channel_live', 5] }, 'event'],
      ['an unknown field', { uri: URI, event: 'all', colour: 'red' }, 'colour'],
    ])('answers 400 naming the field for %s', async (_case, body, named) => {
      const before = (await t.request('GET', '/v1/webhook?length=1')).body.total;
      const response = await t.request('POST', '/v1/webhook', { body });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(JSON.stringify(response.body.message)).toContain(named);
      expect((await t.request('GET', '/v1/webhook?length=1')).body.total).toBe(before);
    });

    it('answers 400 for malformed JSON and a JSON array body', async () => {
      const malformed = await t.request('POST', '/v1/webhook', {
        rawBody: '{"uri": "x",',
        headers: { 'content-type': 'application/json' },
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(String(malformed.body.message)).toMatch(/body/i);
      const array = await t.request('POST', '/v1/webhook', { body: [URI] });
      expect(array.status).toBe(400);
    });

    it('answers 413 for a body over 1 MiB and 415 for a body neither JSON nor a form', async () => {
      const huge = await t.request('POST', '/v1/webhook', {
        body: { uri: URI, event: 'all', padding: 'x'.repeat(1024 * 1024) },
      });
      expect(huge.status).toBe(413);
      expect(huge.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      const text = await t.request('POST', '/v1/webhook', {
        rawBody: `uri=${encodeURIComponent(URI)}&event=all`,
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.status).toBe(415);
      expect(text.body).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
    });
  });

  describe('the secret', () => {
    it('is shown by create only, never by read, list, update or delete', async () => {
      const created = await create('all');
      const answers = [
        await t.request('GET', `/v1/webhook/${created.id}`),
        await t.request('GET', '/v1/webhook?length=100'),
        await t.request('PUT', `/v1/webhook/${created.id}`, { body: { uri: `${URI}?v=2` } }),
        await t.request('DELETE', `/v1/webhook/${created.id}?event=channel_stop`),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.text).not.toContain(created.secret);
        expect(answer.text).not.toContain('whsec_');
        expect(answer.text).not.toContain('"secret"');
      }
    });

    it('rotates: the answer has a new secret, the webhook object still none', async () => {
      const created = await create('all');
      const rotated = await t.request('POST', `/v1/webhook/${created.id}/secret/rotate`);
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(created.secret);
      expect((await t.request('GET', `/v1/webhook/${created.id}`)).text).not.toContain('whsec_');
      expect((await t.request('POST', '/v1/webhook/999999999/secret/rotate')).status).toBe(404);
    });
  });

  describe('read one', () => {
    it('answers the webhook, or 404 for an unknown or malformed id', async () => {
      const created = await create('channel_live');
      const response = await t.request('GET', `/v1/webhook/${created.id}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        id: created.id,
        uri: URI,
        event: ['channel_live'],
        active: true,
        rateLimit: null,
        headers: {},
        channels: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      for (const id of ['999999999', 'abc', '0', '-1', '1.5', '99999999999999999999999']) {
        const missing = await t.request('GET', `/v1/webhook/${id}`);
        expect(missing.status, id).toBe(404);
        expect(missing.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      }
    });
  });

  describe('rate limit', () => {
    it("sets, changes and removes a webhook's rateLimit, and refuses what is not a whole number from 1 to 10000", async () => {
      const created = (
        await t.request('POST', '/v1/webhook', {
          body: { uri: URI, event: 'all', rateLimit: 20 },
        })
      ).body;
      expect(created.rateLimit).toBe(20);
      const changed = await t.request('PUT', `/v1/webhook/${created.id}`, {
        body: { rateLimit: 5 },
      });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ rateLimit: 5, event: ['all'], uri: URI });
      const removed = await t.request('PUT', `/v1/webhook/${created.id}`, {
        body: { rateLimit: null },
      });
      expect(removed.body.rateLimit).toBeNull();
      for (const rateLimit of [0, -1, 1.5, 10_001, '5']) {
        const refused = await t.request('POST', '/v1/webhook', {
          body: { uri: URI, event: 'all', rateLimit },
        });
        expect(refused.status, String(rateLimit)).toBe(400);
        expect(JSON.stringify(refused.body.message)).toContain('rateLimit');
      }
    });
  });

  describe('update', () => {
    it('changes the uri alone, the events alone, or both; what is left out stays', async () => {
      const created = await create('channel_live');
      const uriOnly = await t.request('PUT', `/v1/webhook/${created.id}`, {
        body: { uri: 'http://other.example/a' },
      });
      expect(uriOnly.status).toBe(200);
      expect(uriOnly.body).toMatchObject({
        uri: 'http://other.example/a',
        event: ['channel_live'],
      });
      const eventOnly = await t.request('PUT', `/v1/webhook/${created.id}`, {
        body: { event: ['channel_stop', 'channel_ended'] },
      });
      expect(eventOnly.body).toMatchObject({
        uri: 'http://other.example/a',
        event: ['channel_stop', 'channel_ended'],
      });
      const both = await t.request('PUT', `/v1/webhook/${created.id}`, {
        body: { uri: URI, event: 'all' },
      });
      expect(both.body).toMatchObject({ uri: URI, event: ['all'] });
      expect((await t.request('GET', `/v1/webhook/${created.id}`)).body).toMatchObject({
        uri: URI,
        event: ['all'],
      });
    });

    it('pauses and re-activates with active', async () => {
      const created = await create('all');
      expect(
        (await t.request('PUT', `/v1/webhook/${created.id}`, { body: { active: false } })).body
          .active,
      ).toBe(false);
      expect(
        (await t.request('PUT', `/v1/webhook/${created.id}`, { body: { active: true } })).body
          .active,
      ).toBe(true);
    });

    it('answers 400 for an empty body or a bad field, changing nothing, and 404 for an unknown id', async () => {
      const created = await create('channel_live');
      for (const body of [
        {},
        { event: 'channel_nope' },
        { uri: 'mailto:x@example.com' },
        { active: 'yes' },
        { active: null },
        { uri: URI, id: '5' },
      ]) {
        const response = await t.request('PUT', `/v1/webhook/${created.id}`, { body });
        expect(response.status, JSON.stringify(body)).toBe(400);
      }
      expect((await t.request('GET', `/v1/webhook/${created.id}`)).body).toMatchObject({
        uri: URI,
        event: ['channel_live'],
      });
      expect((await t.request('PUT', '/v1/webhook/999999999', { body: { uri: URI } })).status).toBe(
        404,
      );
    });
  });

  describe('delete', () => {
    it('takes some events off and keeps the rest', async () => {
      const created = await create('channel_live,channel_stop,channel_ended');
      const response = await t.request('DELETE', `/v1/webhook/${created.id}?event=channel_stop`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({});
      expect((await t.request('GET', `/v1/webhook/${created.id}`)).body.event).toEqual([
        'channel_live',
        'channel_ended',
      ]);
    });

    it('ignores names the webhook does not have', async () => {
      const created = await create('channel_live,channel_ended');
      expect(
        (await t.request('DELETE', `/v1/webhook/${created.id}?event=channel_stop`)).status,
      ).toBe(200);
      expect((await t.request('GET', `/v1/webhook/${created.id}`)).body.event).toEqual([
        'channel_live',
        'channel_ended',
      ]);
    });

    it('turns all into every other known event', async () => {
      const created = await create('all');
      await t.request('DELETE', `/v1/webhook/${created.id}?event=channel_live`);
      expect((await t.request('GET', `/v1/webhook/${created.id}`)).body.event).toEqual([
        'channel_stop',
        'channel_ended',
      ]);
    });

    it('deletes the webhook when its last event goes', async () => {
      const created = await create('channel_live,channel_stop');
      expect(
        (await t.request('DELETE', `/v1/webhook/${created.id}?event=channel_stop,channel_live`))
          .status,
      ).toBe(200);
      expect((await t.request('GET', `/v1/webhook/${created.id}`)).status).toBe(404);
    });

    it('deletes the whole webhook without event', async () => {
      const created = await create('all');
      expect((await t.request('DELETE', `/v1/webhook/${created.id}`)).body).toEqual({});
      expect((await t.request('GET', `/v1/webhook/${created.id}`)).status).toBe(404);
      expect((await t.request('DELETE', `/v1/webhook/${created.id}`)).status).toBe(404);
    });

    it('answers 400 for unknown event names and 404 for an unknown id, changing nothing', async () => {
      const created = await create('channel_live');
      const bad = await t.request('DELETE', `/v1/webhook/${created.id}?event=channel_live,bogus`);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.message)).toContain('bogus');
      expect((await t.request('GET', `/v1/webhook/${created.id}`)).body.event).toEqual([
        'channel_live',
      ]);
      expect((await t.request('DELETE', '/v1/webhook/999999999')).status).toBe(404);
      expect((await t.request('DELETE', '/v1/webhook/999999999?event=channel_live')).status).toBe(
        404,
      );
    });
  });
});

describe.each(databaseKinds())('webhook list on %s', (kind) => {
  let t: TestApp;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp(kind);
    const subscriptions: [string, string][] = [
      ['live', 'channel_live'],
      ['stop', 'channel_stop'],
      ['all', 'all'],
      ['ended', 'channel_ended'],
      ['liveEnded', 'channel_live,channel_ended'],
    ];
    for (const [name, event] of subscriptions) {
      ids[name] = (await createWebhook(t, { uri: `${URI}/${name}`, event })).id;
    }
    for (let i = 0; i < 20; i++) {
      await createWebhook(t, { uri: `${URI}/filler${i}`, event: 'channel_stop' });
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('pages oldest first: first, middle, last, past the end', async () => {
    const first = await t.request('GET', '/v1/webhook');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ total: 25, length: 10, page: 0 });
    expect(first.body.data[0].id).toBe(ids.live);
    const middle = await t.request('GET', '/v1/webhook?page=1&length=10');
    expect(middle.body).toMatchObject({ total: 25, length: 10, page: 1 });
    const last = await t.request('GET', '/v1/webhook?page=2&length=10');
    expect(last.body).toMatchObject({ total: 25, length: 5, page: 2 });
    const past = await t.request('GET', '/v1/webhook?page=7&length=10');
    expect(past.body).toEqual({ data: [], total: 25, length: 0, page: 7 });
    const all = [...first.body.data, ...middle.body.data, ...last.body.data].map(
      (w: { id: string }) => Number(w.id),
    );
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expect(new Set(all).size).toBe(25);
    const whole = await t.request('GET', '/v1/webhook?length=100');
    expect(whole.body.length).toBe(25);
  });

  it.each([
    ['page=-1', 'page'],
    ['page=abc', 'page'],
    ['page=1.5', 'page'],
    ['page=', 'page'],
    ['length=0', 'length'],
    ['length=101', 'length'],
    ['length=ten', 'length'],
    ['page=1&page=2', 'page'],
    ['event=channel_start', 'channel_start'],
    ['event=', 'event'],
    ['sort=id', 'sort'],
  ])('answers 400 for %s, naming %s', async (query, named) => {
    const response = await t.request('GET', `/v1/webhook?${query}`);
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.message)).toContain(named);
  });

  it.each([
    ['page=0.5', 'page must be an integer number'],
    ['page=-1', 'page must not be less than 0'],
    ['length=2.5', 'length must be an integer number'],
    ['length=101', 'length must not be greater than 100'],
  ])('says in one message what is wrong with %s', async (query, message) => {
    const response = await t.request('GET', `/v1/webhook?${query}`);
    expect(response.body.message).toEqual([message]);
  });

  it('filters by event, with all matching any event', async () => {
    const live = await t.request('GET', '/v1/webhook?event=channel_live&length=100');
    expect(live.body.data.map((w: { id: string }) => w.id)).toEqual([
      ids.live,
      ids.all,
      ids.liveEnded,
    ]);
    expect(live.body.total).toBe(3);
    const endedOrLive = await t.request('GET', '/v1/webhook?event=channel_ended,channel_live');
    expect(endedOrLive.body.data.map((w: { id: string }) => w.id)).toEqual([
      ids.live,
      ids.all,
      ids.ended,
      ids.liveEnded,
    ]);
    const stop = await t.request('GET', '/v1/webhook?event=channel_stop&length=5&page=1');
    expect(stop.body).toMatchObject({ total: 22, length: 5, page: 1 });
    const everything = await t.request('GET', '/v1/webhook?event=all');
    expect(everything.body.total).toBe(25);
  });
});
