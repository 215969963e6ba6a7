import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { type Received, type Receiver, receiverPool } from './helpers/receiver.js';
import { verifySignature } from './helpers/signature.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

const URI = 'https://app.example.com/hooks/live';
const HEADERS = { Authorization: 'Bearer receiver-credential-1', 'X-Tenant': 'tenant-7' };
const MASKED = { Authorization: '********', 'X-Tenant': '********' };

const many = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`X-Header-${i}`, 'v']));

/** Each refused set, with what the 400 must say. */
const REFUSED: [string, unknown, string][] = [
  ['too many', many(21), 'headers must have at most 20 entries'],
  ['webhook-*', { 'Webhook-Signature': 'v1,x' }, 'may not set "Webhook-Signature"'],
  ['content-type', { 'Content-Type': 'text/plain' }, 'may not set "Content-Type"'],
  ['content-length', { 'content-length': '5' }, 'may not set "content-length"'],
  ['host', { Host: 'example.com' }, 'may not set "Host"'],
  ['user-agent', { 'User-Agent': 'x' }, 'may not set "User-Agent"'],
  ['hop-by-hop', { Connection: 'close' }, 'may not set "Connection": hop-by-hop'],
  ['proxy-*', { 'Proxy-Authorization': 'x' }, 'may not set "Proxy-Authorization": hop-by-hop'],
  ['a space in a name', { 'Bad Name': 'x' }, 'headers has an invalid header name "Bad Name"'],
  ['a colon in a name', { 'X-A:B': 'x' }, 'headers has an invalid header name "X-A:B"'],
  ['an empty name', { '': 'x' }, 'headers has an invalid header name ""'],
  ['a line break in a value', { 'X-Key': 'a\r\nX-Injected: 1' }, 'headers.X-Key must be visible'],
  ['a NUL in a value', { 'X-Key': 'a\u0000b' }, 'headers.X-Key must be visible ASCII'],
  ['non-ASCII in a value', { 'X-Key': 'caf\u00e9' }, 'headers.X-Key must be visible ASCII'],
  ['a long value', { 'X-Key': 'v'.repeat(4097) }, 'headers.X-Key must be at most 4096'],
  ['a number value', { 'X-Key': 5 }, 'headers.X-Key must be a string'],
  ['a null value', { 'X-Key': null }, 'headers.X-Key must be a string'],
  ['an object value', { 'X-Key': { a: 'b' } }, 'headers.X-Key must be a string'],
  [
    'a name the framework would drop',
    { constructor: 'c' },
    'body may not use the key "constructor"',
  ],
  ['names equal but for case', { 'X-Key': 'a', 'x-key': 'b' }, 'header names ignore case'],
  ['a string', 'Authorization: x', 'headers must be an object of header names'],
  ['an array', [['Authorization', 'x']], 'headers must be an object of header names'],
];

describe.each(databaseKinds())('webhook headers on %s', (kind) => {
  let t: TestApp;
  const receivers = receiverPool();
  const receiver = receivers.start;
  const create = (body: Record<string, unknown>) => createWebhook(t, { uri: URI, ...body });
  const update = async (id: string, body: Record<string, unknown>) => {
    const response = await t.request('PUT', `/v1/webhook/${id}`, { body });
    expect(response.status, response.text).toBe(200);
    return response.body as { headers: Record<string, string> };
  };
  /** Sends a test ping and answers the callback the receiver got for it. */
  const ping = async (target: Receiver, id: string): Promise<Received> => {
    const sent = await t.request('POST', `/v1/webhook/${id}/test`);
    expect(sent.status).toBe(202);
    return eventually(async () =>
      target.received.find((request) => request.json?.event === 'ping' && !seen.has(request)),
    ).then((request) => {
      seen.add(request);
      return request;
    });
  };
  const seen = new Set<Received>();

  beforeAll(async () => {
    t = await createTestApp(kind, {
      DELIVERY_RETRY_SCHEDULE: '300ms,300ms',
      DELIVERY_TIMEOUT: '2s',
    });
  });
  afterAll(async () => {
    await t?.close();
    await receivers.closeAll();
  });

  it('sends them with every attempt (the first, a retry after a failure, a redelivery, a test ping), the signature still verifying', async () => {
    const target = await receiver((request) => (request.index === 0 ? { status: 500 } : {}));
    const hook = await create({ uri: target.url, event: 'channel_live', headers: HEADERS });
    const channel = await createChannel(t);
    await ingest(t, channel.streamKey, 'publish');
    const [delivery] = await eventually(async () => {
      const data = (await t.request('GET', `/v1/webhook/${hook.id}/deliveries`)).body.data;
      return data[0]?.status === 'succeeded' ? data : undefined;
    });
    expect(delivery.attempts).toBe(2);
    const redelivered = await t.request(
      'POST',
      `/v1/webhook/${hook.id}/deliveries/${delivery.id}/redeliver`,
    );
    expect(redelivered.status).toBe(202);
    await eventually(async () => target.received.length >= 3);
    await ping(target, hook.id);

    expect(target.received.map((request) => request.json.event)).toEqual([
      'channel_live',
      'channel_live',
      'channel_live',
      'ping',
    ]);
    for (const request of target.received) {
      expect(request.headers.authorization).toBe(HEADERS.Authorization);
      expect(request.headers['x-tenant']).toBe(HEADERS['X-Tenant']);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['user-agent']).toMatch(/^channel-webhooks\//);
      expect(verifySignature(hook.secret, request)).toEqual(request.json);
    }
  });

  it('answers the names with every value masked, on create, read, list and update', async () => {
    const created = await create({ headers: HEADERS });
    expect(created.headers).toEqual(MASKED);
    const read = await t.request('GET', `/v1/webhook/${created.id}`);
    expect(read.body.headers).toEqual(MASKED);
    const list = await t.request('GET', '/v1/webhook?length=100');
    expect(
      list.body.data.find((webhook: { id: string }) => webhook.id === created.id).headers,
    ).toEqual(MASKED);
    const updated = await t.request('PUT', `/v1/webhook/${created.id}`, { body: { active: true } });
    expect(updated.body.headers).toEqual(MASKED);
    for (const text of [JSON.stringify(created), read.text, list.text, updated.text]) {
      for (const value of Object.values(HEADERS)) expect(text).not.toContain(value);
    }
    expect((await create({})).headers).toEqual({});
    expect((await create({ headers: null })).headers).toEqual({});
  });

  it('replaces the whole set with an object, removes it with null or {}, and keeps it when left out', async () => {
    const target = await receiver();
    const hook = await create({ uri: target.url, headers: HEADERS });

    expect((await update(hook.id, { headers: { 'X-Other': 'other' } })).headers).toEqual({
      'X-Other': '********',
    });
    let request = await ping(target, hook.id);
    expect(request.headers['x-other']).toBe('other');
    expect(request.headers).not.toHaveProperty('authorization');
    expect(request.headers).not.toHaveProperty('x-tenant');

    expect((await update(hook.id, { event: 'channel_live,channel_stop' })).headers).toEqual({
      'X-Other': '********',
    });
    expect((await ping(target, hook.id)).headers['x-other']).toBe('other');

    expect((await update(hook.id, { headers: null })).headers).toEqual({});
    request = await ping(target, hook.id);
    expect(request.headers).not.toHaveProperty('x-other');

    // Names every object has built in are names like any other.
    const builtIn = { toString: 't', hasOwnProperty: 'h' };
    expect(Object.keys((await update(hook.id, { headers: builtIn })).headers)).toEqual([
      'toString',
      'hasOwnProperty',
    ]);
    request = await ping(target, hook.id);
    expect(request.headers).toMatchObject({ tostring: 't', hasownproperty: 'h' });

    expect((await update(hook.id, { headers: {} })).headers).toEqual({});
    request = await ping(target, hook.id);
    expect(request.headers).not.toHaveProperty('tostring');
    expect(verifySignature(hook.secret, request)).toEqual(request.json);
  });

  it.each(REFUSED)(
    'refuses %s with a 400 naming the problem, on create and on update, changing nothing',
    async (_case, headers, problem) => {
      const refused = await t.request('POST', '/v1/webhook', {
        body: { uri: URI, event: 'all', headers },
      });
      expect(refused.status, refused.text).toBe(400);
      expect(refused.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(JSON.stringify(refused.body.message)).toContain(JSON.stringify(problem).slice(1, -1));

      const hook = await create({ headers: HEADERS });
      const notChanged = await t.request('PUT', `/v1/webhook/${hook.id}`, { body: { headers } });
      expect(notChanged.status, notChanged.text).toBe(400);
      expect(JSON.stringify(notChanged.body.message)).toContain(
        JSON.stringify(problem).slice(1, -1),
      );
      expect((await t.request('GET', `/v1/webhook/${hook.id}`)).body.headers).toEqual(MASKED);
    },
  );

  it('takes 20 headers, and headers alone as an update', async () => {
    const hook = await create({});
    expect(Object.keys((await update(hook.id, { headers: many(20) })).headers)).toHaveLength(20);
  });
});
