import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel } from './helpers/channels.js';
import { OpenApiAnswers } from './helpers/openapi-answers.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createTestApp, TEST_API_KEY, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

const run = promisify(execFile);
const CLIENT = join(import.meta.dirname, 'fixtures', 'openapi-client');
const TOKEN = 'ingest-token-for-the-typed-client';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

// The document is the same whatever the database: SQLite stands for both here.
describe('the OpenAPI document, as generated clients meet it', () => {
  let t: TestApp;
  let receiver: Receiver;
  let document: any;

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await createTestApp('sqlite', { INGEST_TOKEN: TOKEN });
    document = await (await fetch(`${t.baseUrl}/docs-json`)).json();
  });

  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('types a client with openapi-typescript that type-checks and calls every route as documented', async () => {
    writeFileSync(join(CLIENT, 'schema.d.ts'), astToString(await openapiTS(document)));
    await run(process.execPath, [
      'node_modules/typescript/bin/tsc',
      '-p',
      join(CLIENT, 'tsconfig.json'),
    ]).catch((error: { stdout: string }) => {
      throw new Error(`the typed client does not type-check:\n${error.stdout}`);
    });

    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        '@swc-node/register/esm-register',
        join(CLIENT, 'consumer.ts'),
        t.baseUrl,
        TEST_API_KEY,
        TOKEN,
        `${receiver.url}-typed`,
      ],
      { timeout: 60_000 },
    ).catch((error: { stderr: string }) => {
      throw new Error(`the typed client failed:\n${error.stderr}`);
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);

    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item as object)
        .filter((method) => METHODS.includes(method))
        .map((method) => `${method} ${path}`),
    );
    expect(new Set(result.called)).toEqual(new Set(documented));
    expect(result.seen).toMatchObject({
      secret: true,
      rotated: true,
      listed: 1,
      active: true,
      idle: 1,
      description: 'Described by a typed client',
      allowed: 0,
      endedAt: true,
      attempts: expect.any(Number),
      states: [expect.stringMatching(/^(healthy|failing)$/)],
      catalogNames: [
        'channel_live',
        'channel_stop',
        'channel_ended',
        'ping',
        'webhook_failing',
        'webhook_recovered',
        'webhook_disabled',
        'delivery_exhausted',
      ],
      timelineEvents: expect.arrayContaining(['channel_ended']),
      recovered: expect.any(Number),
    });
  });

  it('describes the callbacks receivers get, and they arrive as described', async () => {
    expect(Object.keys(document.webhooks).sort()).toEqual([
      'channel_ended',
      'channel_live',
      'channel_stop',
      'delivery_exhausted',
      'ping',
      'webhook_disabled',
      'webhook_failing',
      'webhook_recovered',
    ]);
    for (const entry of Object.values<any>(document.webhooks)) {
      expect(entry.post.parameters.map((header: any) => header.name)).toEqual([
        'webhook-id',
        'webhook-timestamp',
        'webhook-signature',
      ]);
      expect(entry.post.requestBody.content['application/json'].schema.$ref).toMatch(
        /^#\/components\/schemas\//,
      );
    }

    const answers = new OpenApiAnswers(document);
    const { secret } = await createWebhook(t, { uri: receiver.url });
    const channel = await createChannel(t, { name: 'Callbacks' });
    const hook = (action: string) =>
      t.request('POST', `/v1/ingest/events?token=${TOKEN}`, {
        body: { streamKey: channel.streamKey, action },
        apiKey: false,
      });
    await hook('publish');
    await hook('unpublish');
    await hook('publish');
    await t.request('POST', `/v1/channel/${channel.id}/end`);
    const webhooks = await t.request('GET', '/v1/webhook?length=100');
    const webhookId = webhooks.body.data.find((w: any) => w.uri === receiver.url).id;
    await t.request('POST', `/v1/webhook/${webhookId}/test`);

    await expect
      .poll(() => receiver.received.filter((r) => r.path === '/hook').map((r) => r.json.event), {
        timeout: 20_000,
      })
      .toEqual(['channel_live', 'channel_stop', 'channel_live', 'channel_ended', 'ping']);
    const verifier = new Webhook(secret);
    for (const callback of receiver.received.filter((r) => r.path === '/hook')) {
      expect(answers.callbackProblem(callback.json)).toBeUndefined();
      expect(() => verifier.verify(callback.body, callback.headers as any)).not.toThrow();
    }
  });

  it('catches an answer the document does not promise', () => {
    const answers = new OpenApiAnswers(document);
    const read = (status: number, body: unknown) =>
      answers.problem('GET', '/v1/channel/42', status, 'application/json', body);
    expect(read(418, {})).toMatch(/does not list/);
    expect(read(200, { id: 42, name: 'no other field' })).toMatch(/schema refuses/);
    expect(
      read(404, { statusCode: 404, message: 'channel "42" does not exist', error: 'Not Found' }),
    ).toBeUndefined();
    expect(answers.callbackProblem({ event: 'channel_live', eventTime: 'soon' })).toMatch(
      /schema refuses/,
    );
    // paths the document does not list are not its business
    expect(answers.problem('GET', '/dashboard', 200, 'text/html', undefined)).toBeUndefined();
  });
});
