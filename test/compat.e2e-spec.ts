import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { freePort, spawnApp, waitForHttp } from './helpers/spawn-app.js';
import { createTestApp, type RequestOptions, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

/** What clients written against the original API document (spec/webhook-callback.vi.md) send. */

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A request with a form body, as the document's "Post Parameters" are often sent. */
const sendForm = (
  t: TestApp,
  method: string,
  path: string,
  fields: string | Record<string, string>,
  options: RequestOptions = {},
) =>
  t.request(method, path, {
    ...options,
    rawBody: typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(),
    headers: { ...FORM, ...options.headers },
  });

/** The document's webhook object: a string id, the uri, the event list (more fields may follow). */
const WEBHOOK_SHAPE = {
  id: expect.stringMatching(/^\d+$/),
  uri: expect.any(String),
  event: expect.any(Array),
};

describe.each(databaseKinds())('clients of the original API document on %s', (kind) => {
  describe('with COMPAT_GET_DELETE=true', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(kind, { COMPAT_GET_DELETE: 'true' });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('runs every call of the document verbatim, each answer in the document’s shape', async () => {
      // Tạo Webhook: POST /v1/webhook with the Post Parameters uri and event
      const created = await sendForm(t, 'POST', '/v1/webhook', {
        uri: 'http://webhook.com',
        event: 'channel_live,channel_ended',
      });
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({
        ...WEBHOOK_SHAPE,
        uri: 'http://webhook.com',
        event: ['channel_live', 'channel_ended'],
      });
      const id = created.body.id as string;
      // the same call with a JSON body
      const other = await t.request('POST', '/v1/webhook', {
        body: { uri: 'http://example.com', event: 'all' },
      });
      expect(other.status, other.text).toBe(201);
      expect(other.body).toMatchObject({ ...WEBHOOK_SHAPE, event: ['all'] });

      // Lấy danh sách webhook: GET /v1/webhook?page=&length=&event=
      const listed = await t.request('GET', '/v1/webhook?page=0&length=10&event=channel_live');
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual({ data: expect.any(Array), total: 2, length: 2, page: 0 });
      for (const webhook of listed.body.data) expect(webhook).toMatchObject(WEBHOOK_SHAPE);
      expect(listed.body.data.map((webhook: { id: string }) => webhook.id)).toEqual([
        id,
        other.body.id,
      ]);

      // Update Webhook: PUT /v1/webhook/{webhookId} with the same data as create
      const updated = await sendForm(t, 'PUT', `/v1/webhook/${id}`, {
        uri: 'http://webhook.com/v2',
        event: 'channel_live,channel_stop,channel_ended',
      });
      expect(updated.status, updated.text).toBe(200);
      expect(updated.body).toMatchObject({
        ...WEBHOOK_SHAPE,
        id,
        uri: 'http://webhook.com/v2',
        event: ['channel_live', 'channel_stop', 'channel_ended'],
      });
      expect(updated.body).not.toHaveProperty('secret');

      // Xoá Webhook: GET /v1/webhook/{webhookId}?event= takes only those events off …
      const trimmed = await t.request('GET', `/v1/webhook/${id}?event=channel_live,channel_stop`);
      expect(trimmed.status).toBe(200);
      expect(trimmed.body).toEqual({});
      const left = await t.request('GET', '/v1/webhook?event=channel_ended');
      expect(left.body.data.find((webhook: { id: string }) => webhook.id === id)).toMatchObject({
        event: ['channel_ended'],
      });
      // … and without event deletes the webhook
      const deleted = await t.request('GET', `/v1/webhook/${id}`);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({});
      const remaining = await t.request('GET', '/v1/webhook');
      expect(remaining.body).toMatchObject({ total: 1, length: 1 });
      expect(remaining.body.data[0].id).toBe(other.body.id);
    });

    it('deletes the webhook once its last events are taken off, as DELETE does', async () => {
      const created = await sendForm(t, 'POST', '/v1/webhook', {
        uri: 'http://webhook.com',
        event: 'channel_live',
      });
      expect(created.status, created.text).toBe(201);
      const answer = await t.request('GET', `/v1/webhook/${created.body.id}?event=channel_live`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({});
      expect((await t.request('GET', `/v1/webhook/${created.body.id}`)).status).toBe(404);
    });

    it('answers an unknown id 404 and an unknown event 400, changing nothing', async () => {
      const created = await createWebhook(t, {
        uri: 'http://webhook.com',
        event: 'channel_live,channel_stop',
      });
      const unknownId = await t.request('GET', '/v1/webhook/987654321');
      expect(unknownId.status).toBe(404);
      expect(unknownId.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
      const unknownEvent = await t.request('GET', `/v1/webhook/${created.id}?event=channel_start`);
      expect(unknownEvent.status).toBe(400);
      expect(unknownEvent.body).toEqual({
        statusCode: 400,
        message: ['event has an unknown event "channel_start"'],
        error: 'Bad Request',
      });
      const listed = await t.request('GET', '/v1/webhook?length=100');
      expect(
        listed.body.data.find((webhook: { id: string }) => webhook.id === created.id),
      ).toMatchObject({ event: ['channel_live', 'channel_stop'] });
      // DELETE is still there for clients that use it
      expect((await t.request('DELETE', `/v1/webhook/${created.id}`)).body).toEqual({});
      expect((await t.request('GET', `/v1/webhook/${created.id}`)).status).toBe(404);
    });

    it('says so in the OpenAPI document it serves: the GET answers {} as the delete does', async () => {
      const doc = (await t.request('GET', '/docs-json')).body;
      const item = doc.paths['/v1/webhook/{webhookId}'];
      expect(item.get.summary).toContain('COMPAT_GET_DELETE=true');
      expect(item.get.parameters).toEqual(item.delete.parameters);
      expect(item.get.responses['200']).toEqual(item.delete.responses['200']);
    });
  });

  describe('with COMPAT_GET_DELETE off (the default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(kind);
    });
    afterAll(async () => {
      await t?.close();
    });

    const create = async (fields: Record<string, string>) => {
      const answer = await sendForm(t, 'POST', '/v1/webhook', fields);
      expect(answer.status, answer.text).toBe(201);
      return answer.body as { id: string; secret: string };
    };

    it('GET /v1/webhook/{webhookId} reads, with or without event, and deletes nothing', async () => {
      const { id } = await create({ uri: 'http://webhook.com', event: 'channel_live' });
      for (const path of [`/v1/webhook/${id}?event=channel_live`, `/v1/webhook/${id}`]) {
        const answer = await t.request('GET', path);
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ id, event: ['channel_live'] });
      }
      expect((await t.request('GET', `/v1/webhook/${id}`)).body.event).toEqual(['channel_live']);
    });

    describe('form bodies on create and update', () => {
      it('creates from form fields: event comma-separated or repeated, rateLimit a number', async () => {
        const answer = await sendForm(
          t,
          'POST',
          '/v1/webhook',
          'uri=https%3A%2F%2Fapp.example.com%2Fhooks&event=channel_live,channel_ended&rateLimit=50',
        );
        expect(answer.status, answer.text).toBe(201);
        expect(answer.body).toMatchObject({
          uri: 'https://app.example.com/hooks',
          event: ['channel_live', 'channel_ended'],
          active: true,
          rateLimit: 50,
          secret: expect.stringMatching(/^whsec_/),
        });
        const repeated = await sendForm(
          t,
          'POST',
          '/v1/webhook',
          'uri=https%3A%2F%2Fapp.example.com%2Fhooks&event=channel_stop&event=channel_live',
        );
        expect(repeated.status, repeated.text).toBe(201);
        expect(repeated.body).toMatchObject({ event: ['channel_stop', 'channel_live'] });
        expect(repeated.body.rateLimit).toBeNull();
        const read = await t.request('GET', `/v1/webhook/${answer.body.id}`);
        expect(read.body).toMatchObject({
          event: ['channel_live', 'channel_ended'],
          rateLimit: 50,
        });
      });

      it('updates from form fields: active true or false, an empty rateLimit is null', async () => {
        const { id } = await create({
          uri: 'https://app.example.com/hooks',
          event: 'all',
          rateLimit: '5',
        });
        const paused = await sendForm(t, 'PUT', `/v1/webhook/${id}`, {
          active: 'false',
          rateLimit: '',
        });
        expect(paused.status, paused.text).toBe(200);
        expect(paused.body).toMatchObject({ id, active: false, rateLimit: null, event: ['all'] });
        const resumed = await sendForm(t, 'PUT', `/v1/webhook/${id}`, {
          active: 'true',
          rateLimit: '7',
          event: 'channel_stop',
        });
        expect(resumed.status, resumed.text).toBe(200);
        expect(resumed.body).toMatchObject({ active: true, rateLimit: 7, event: ['channel_stop'] });
        const read = await t.request('GET', `/v1/webhook/${id}`);
        expect(read.body).toMatchObject({ active: true, rateLimit: 7, event: ['channel_stop'] });
      });

      it.each([
        ['active=yes', 'active must be a boolean value'],
        ['active=TRUE', 'active must be a boolean value'],
        ['rateLimit=fast', 'rateLimit must be an integer number'],
        ['rateLimit=1.5', 'rateLimit must be an integer number'],
        ['rateLimit=0', 'rateLimit must not be less than 1'],
        ['rateLimit=10001', 'rateLimit must not be greater than 10000'],
        ['event=channel_start', 'event has an unknown event "channel_start"'],
        ['uri=ftp%3A%2F%2Fa.example', 'uri must use the http or https scheme'],
        ['colour=red', 'property colour should not exist'],
        ['', 'body must set at least one of uri, event, active, rateLimit, headers, channels'],
      ])('answers 400 for the form field %s, naming it', async (fields, message) => {
        const { id } = await create({ uri: 'https://app.example.com/hooks', event: 'all' });
        const answer = await sendForm(t, 'PUT', `/v1/webhook/${id}`, fields);
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
        expect(answer.body.message).toContain(message);
        expect((await t.request('GET', `/v1/webhook/${id}`)).body).toMatchObject({
          event: ['all'],
          active: true,
          rateLimit: null,
        });
      });

      it('answers 400 for a create form without its required fields', async () => {
        const answer = await sendForm(t, 'POST', '/v1/webhook', { event: 'all' });
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
        expect(JSON.stringify(answer.body.message)).toContain('uri');
      });

      it('converts strings only in forms: the same strings in JSON stay a 400', async () => {
        const { id } = await create({ uri: 'https://app.example.com/hooks', event: 'all' });
        for (const [body, message] of [
          [{ active: 'true' }, 'active must be a boolean value'],
          [{ rateLimit: '5' }, 'rateLimit must be an integer number'],
          [{ rateLimit: '' }, 'rateLimit must be an integer number'],
        ] as const) {
          const answer = await t.request('PUT', `/v1/webhook/${id}`, { body });
          expect(answer.status).toBe(400);
          expect(answer.body.message).toContain(message);
        }
      });

      it('answers 401 without a key whatever the form, before reading it', async () => {
        const before = (await t.request('GET', '/v1/webhook?length=1')).body.total;
        const forms = [
          'uri=https%3A%2F%2Fapp.example.com%2Fhooks&event=all',
          'active=maybe&__proto__=x',
          `uri=${'x'.repeat(2 * 1024 * 1024)}`,
        ];
        for (const fields of forms) {
          for (const [method, path] of [
            ['POST', '/v1/webhook'],
            ['PUT', '/v1/webhook/1'],
          ]) {
            const answer = await sendForm(t, method, path, fields, { apiKey: false });
            expect(answer.status, `${method} ${path}`).toBe(401);
            expect(answer.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
          }
        }
        expect((await t.request('GET', '/v1/webhook?length=1')).body.total).toBe(before);
      });

      it('answers 413 for a form over 1 MiB', async () => {
        const answer = await sendForm(
          t,
          'POST',
          '/v1/webhook',
          `event=all&uri=${'x'.repeat(1024 * 1024)}`,
        );
        expect(answer.status).toBe(413);
        expect(answer.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      });

      it('answers 415 for a form on a route that takes JSON only, and for other types', async () => {
        const channel = await createChannel(t);
        const { id } = await create({ uri: 'https://app.example.com/hooks', event: 'all' });
        for (const [method, path] of [
          ['POST', '/v1/channel'],
          ['PUT', `/v1/channel/${channel.id}`],
          ['POST', `/v1/webhook/${id}/secret/rotate`],
        ]) {
          const answer = await sendForm(t, method, path, { name: 'Evening show' });
          expect(answer.status, `${method} ${path}`).toBe(415);
          expect(answer.body).toEqual({
            statusCode: 415,
            message: 'body must be sent as Content-Type: application/json',
            error: 'Unsupported Media Type',
          });
        }
        expect((await t.request('GET', `/v1/channel/${channel.id}`)).body.name).toBe(
          'Morning show',
        );
        const text = await t.request('POST', '/v1/webhook', {
          rawBody: 'uri=https://app.example.com/hooks&event=all',
          headers: { 'content-type': 'text/plain' },
        });
        expect(text.status).toBe(415);
        expect(text.body).toEqual({
          statusCode: 415,
          message:
            'body must be sent as Content-Type: application/json or application/x-www-form-urlencoded',
          error: 'Unsupported Media Type',
        });
      });

      it('documents GET as a read, and both body types on create and update', async () => {
        const doc = (await t.request('GET', '/docs-json')).body;
        for (const operation of [
          doc.paths['/v1/webhook'].post,
          doc.paths['/v1/webhook/{webhookId}'].put,
        ]) {
          expect(Object.keys(operation.requestBody.content)).toEqual([
            'application/json',
            'application/x-www-form-urlencoded',
          ]);
        }
        expect(Object.keys(doc.paths['/v1/channel'].post.requestBody.content)).toEqual([
          'application/json',
        ]);
        expect(doc.paths['/v1/webhook/{webhookId}'].get.responses['200'].content).toEqual({
          'application/json': { schema: { $ref: '#/components/schemas/WebhookDto' } },
        });
      });
    });
  });
});

describe('COMPAT_GET_DELETE at start-up', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cw-compat-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('logs one warning naming the setting and what it changes', async () => {
    const port = await freePort();
    const app = spawnApp(
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${join(folder, 'db.sqlite')}`,
        API_KEYS: 'k',
        INGEST_TOKEN: 't',
        COMPAT_GET_DELETE: 'true',
      },
      folder,
    );
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/live`, app);
      const warnings = app
        .output()
        .split('\n')
        .filter((line) => line.includes('COMPAT_GET_DELETE'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0])).toMatchObject({
        level: 40,
        msg: expect.stringContaining('GET /v1/webhook/{webhookId} deletes'),
      });
    } finally {
      app.kill();
      await app.exited;
    }
  });
});
