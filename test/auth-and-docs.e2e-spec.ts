import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from './helpers/databases.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

/** Every API route: method, path as the OpenAPI document writes it, and a concrete path. */
const API_ROUTES: [string, string][] = [
  ['post', '/v1/webhook'],
  ['get', '/v1/webhook'],
  ['get', '/v1/webhook/{webhookId}'],
  ['put', '/v1/webhook/{webhookId}'],
  ['delete', '/v1/webhook/{webhookId}'],
  ['post', '/v1/webhook/{webhookId}/secret/rotate'],
  ['post', '/v1/channel'],
  ['get', '/v1/channel'],
  ['get', '/v1/channel/{channelId}'],
  ['put', '/v1/channel/{channelId}'],
  ['delete', '/v1/channel/{channelId}'],
  ['get', '/v1/channel/{channelId}/stream-key'],
  ['post', '/v1/channel/{channelId}/stream-key'],
  ['post', '/v1/channel/{channelId}/end'],
  ['get', '/v1/webhook/{webhookId}/deliveries'],
  ['get', '/v1/webhook/{webhookId}/deliveries/{deliveryId}'],
  ['post', '/v1/webhook/{webhookId}/deliveries/{deliveryId}/redeliver'],
  ['post', '/v1/webhook/{webhookId}/recover'],
  ['post', '/v1/webhook/{webhookId}/test'],
  ['get', '/v1/webhook-summary'],
  ['get', '/v1/event-types'],
  ['get', '/v1/channel/{channelId}/events'],
];

/** Reviewed: open to anyone (health for load balancers; metrics has its own optional token). */
const PUBLIC_ROUTES: [string, string][] = [
  ['get', '/health/live'],
  ['get', '/health/ready'],
  ['get', '/metrics'],
];

/** Media-server hooks: the ingest token, not an API key. */
const INGEST_ROUTES: [string, string][] = [
  ['post', '/v1/ingest/nginx-rtmp/publish'],
  ['post', '/v1/ingest/nginx-rtmp/publish_done'],
  ['post', '/v1/ingest/nginx-rtmp/update'],
  ['post', '/v1/ingest/srs'],
  ['post', '/v1/ingest/events'],
];

type OpenApi = {
  paths: Record<
    string,
    Record<
      string,
      {
        summary?: string;
        responses: Record<string, unknown>;
        security?: unknown[];
        parameters?: unknown[];
      }
    >
  >;
  components: { securitySchemes?: Record<string, Record<string, unknown>> };
};

describe.each(databaseKinds())('API keys and the OpenAPI document on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(kind, { API_KEYS: 'first-key, second-key', INGEST_TOKEN: 'the-token' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(API_ROUTES)(
    '%s %s answers 401 without a key and with a wrong one',
    async (method, path) => {
      const concrete = path.replace(/\{\w+\}/g, '1');
      const body =
        method === 'post' || method === 'put'
          ? { uri: 'https://a.example/x', event: 'all' }
          : undefined;
      for (const [label, headers] of [
        ['no header', {}],
        ['wrong key', { authorization: 'Bearer nope' }],
        ['a prefix of a key', { authorization: 'Bearer first' }],
        ['not Bearer', { authorization: 'Basic Zmlyc3Qta2V5' }],
      ] as const) {
        const response = await t.request(method.toUpperCase(), concrete, {
          body,
          headers,
          apiKey: false,
        });
        expect(response.status, label).toBe(401);
        expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      }
    },
  );

  it.each(INGEST_ROUTES)(
    '%s %s answers 401 without the token, with a wrong one, and with an API key',
    async (method, path) => {
      const body = { streamKey: 'k', action: 'publish', name: 'k', stream: 'k' };
      for (const [label, query, apiKey] of [
        ['no token', '', false],
        ['wrong token', '?token=nope', false],
        ['an API key', '', 'first-key'],
      ] as const) {
        const response = await t.request(method.toUpperCase(), `${path}${query}`, { body, apiKey });
        expect(response.status, label).toBe(401);
      }
    },
  );

  it.each(PUBLIC_ROUTES)('%s %s answers without a key', async (method, path) => {
    const response = await t.request(method.toUpperCase(), path, { apiKey: false });
    expect(response.status).toBe(200);
  });

  it('accepts each configured key and writes nothing for a refused request', async () => {
    const refused = await t.request('POST', '/v1/webhook', {
      body: { uri: 'https://a.example/x', event: 'all' },
      apiKey: 'wrong',
    });
    expect(refused.status).toBe(401);
    expect((await t.request('GET', '/v1/webhook', { apiKey: 'first-key' })).body.total).toBe(0);
    expect((await t.request('GET', '/v1/webhook', { apiKey: 'second-key' })).status).toBe(200);
  });

  it('serves Swagger UI at /docs and the document at /docs-json without a key', async () => {
    const ui = await fetch(`${t.baseUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
    const json = await fetch(`${t.baseUrl}/docs-json`);
    expect(json.status).toBe(200);
  });

  it('documents every route with a summary, its answers, its errors and its credentials', async () => {
    const doc = (await (await fetch(`${t.baseUrl}/docs-json`)).json()) as OpenApi;
    expect(doc.components.securitySchemes?.['api-key']).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'opaque',
    });
    expect(doc.components.securitySchemes?.['ingest-token']).toMatchObject({
      type: 'apiKey',
      in: 'query',
      name: 'token',
    });
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual(
      [...API_ROUTES, ...INGEST_ROUTES, ...PUBLIC_ROUTES]
        .map(([method, path]) => `${method} ${path}`)
        .sort(),
    );
    for (const [method, path] of INGEST_ROUTES) {
      const operation = doc.paths[path][method];
      expect(operation.summary).toBeTruthy();
      expect(operation.security).toEqual([{ 'ingest-token': [] }]);
      expect(Object.keys(operation.responses)).toEqual(
        expect.arrayContaining(['200', '400', '401', '413', '415', '429', '503']),
      );
    }
    for (const [method, path] of PUBLIC_ROUTES) {
      const operation = doc.paths[path][method];
      if (path === '/metrics') {
        expect(operation.security).toEqual([{}, { 'metrics-token': [] }]);
        expect(operation.parameters ?? []).toEqual([]);
      } else {
        expect(operation.security).toEqual([]);
      }
    }
    for (const [method, path] of API_ROUTES) {
      const operation = doc.paths[path][method];
      expect(operation.summary, `${method} ${path}`).toBeTruthy();
      expect(operation.security).toEqual([{ 'api-key': [] }]);
      expect(Object.keys(operation.responses)).toEqual(
        expect.arrayContaining(['401', '429', '503']),
      );
      if (method === 'post' || method === 'put') {
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['413', '415']));
      }
      expect(Object.keys(operation.responses).some((status) => status.startsWith('2'))).toBe(true);
      if (path.includes('{')) expect(Object.keys(operation.responses)).toContain('404');
      // every request that takes a body or a query documents its 400 (the catalog takes neither)
      const takesInput = path !== '/v1/event-types';
      if (
        takesInput &&
        (method === 'post' || method === 'put' || method === 'get') &&
        !path.includes('{')
      ) {
        expect(Object.keys(operation.responses)).toContain('400');
      }
      if (method === 'put') expect(Object.keys(operation.responses)).toContain('400');
    }
  });
});
