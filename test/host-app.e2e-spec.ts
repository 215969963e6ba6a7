import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/channels.js';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './helpers/databases.js';
import { httpApi } from './helpers/http-api.js';
import { startReceiver } from './helpers/receiver.js';
import { verifySignature } from './helpers/signature.js';
import {
  exitWithin,
  freePort,
  killStep,
  PROJECT_ROOT,
  spawnScript,
  waitForHttp,
} from './helpers/spawn-app.js';

/** A host NestJS app of its own, which imports the built package by its name. */
const HOST_APP = `${PROJECT_ROOT}test/fixtures/host-app`;
const API_KEY = 'studio-key';

interface Case {
  adapter: 'fastify' | 'express';
  kind: 'sqlite' | 'mysql';
  connection: 'own' | 'host';
  routes: 'prefixed' | 'none';
  settings: 'async' | 'given';
}

/**
 * Each adapter on each database, on its own connection and on the host's, mounted or not, its
 * settings given or from the host's ConfigService.
 */
const CASES: Case[] = (
  [
    {
      adapter: 'fastify',
      kind: 'sqlite',
      connection: 'own',
      routes: 'prefixed',
      settings: 'async',
    },
    { adapter: 'express', kind: 'sqlite', connection: 'host', routes: 'none', settings: 'async' },
    { adapter: 'express', kind: 'mysql', connection: 'own', routes: 'prefixed', settings: 'given' },
    { adapter: 'fastify', kind: 'mysql', connection: 'host', routes: 'none', settings: 'given' },
    {
      adapter: 'express',
      kind: 'sqlite',
      connection: 'host',
      routes: 'prefixed',
      settings: 'given',
    },
  ] as const
).filter((entry) => databaseKinds().includes(entry.kind));

/** How many of the service's migrations the host's connection recorded in their own table. */
async function hostMigrations(database: TestDatabase): Promise<number> {
  const sql = 'SELECT COUNT(*) AS applied FROM channel_webhooks_migrations';
  if (database.kind === 'sqlite') {
    const db = new Database(database.url.slice('sqlite:'.length), { readonly: true });
    try {
      return (db.prepare(sql).get() as { applied: number }).applied;
    } finally {
      db.close();
    }
  }
  const connection = await createConnection(database.url);
  try {
    const [rows] = await connection.query<any[]>(sql);
    return Number(rows[0].applied);
  } finally {
    await connection.end();
  }
}

describe('a host NestJS app that imports the built package', () => {
  const cleanup = stepsAfterAll();

  beforeAll(async () => {
    // Compiled against the package's published entry and its built types (exports in
    // package.json), as a host app outside this repository would be.
    await promisify(execFile)(
      process.execPath,
      [`${PROJECT_ROOT}node_modules/typescript/bin/tsc`, '-p', `${HOST_APP}/tsconfig.json`],
      { cwd: PROJECT_ROOT },
    );
  }, 120_000);

  it.each(CASES)(
    'on $adapter and $kind, on the $connection connection, routes $routes, settings $settings: raises events from its own code and gets them signed',
    async ({ adapter, kind, connection, routes, settings }) => {
      const database = await createTestDatabase(kind);
      cleanup.push(() => database.drop());
      const receiver = await startReceiver();
      cleanup.push(() => receiver.close());
      const port = await freePort();
      const host = spawnScript(`${HOST_APP}/build/main.js`, {
        PORT: String(port),
        HOST_ADAPTER: adapter,
        HOST_CONNECTION: connection,
        HOST_ROUTES: routes,
        HOST_SETTINGS: settings,
        STUDIO_DATABASE_URL: database.url,
        STUDIO_WEBHOOKS_API_KEY: API_KEY,
      });
      cleanup.push(killStep(host));
      await waitForHttp(`http://127.0.0.1:${port}/`, host);
      const studio = httpApi(`http://127.0.0.1:${port}`, undefined);

      // The host's own routes, through the services it injected: no API key of the module's.
      const subscribed = await studio.request('POST', '/studio/webhooks', {
        body: { uri: receiver.url },
      });
      expect(subscribed.status).toBe(201);
      const { id: webhookId, secret } = subscribed.body as { id: string; secret: string };
      const opened = await studio.request('POST', '/studio/channels', {
        body: { name: 'Studio A' },
      });
      expect(opened.status).toBe(201);
      const channelId = (opened.body as { id: string }).id;

      const live = await studio.request('POST', `/studio/channels/${channelId}/live`);
      expect(live.body).toEqual({ outcome: 'live' });
      const again = await studio.request('POST', `/studio/channels/${channelId}/live`);
      expect(again.body).toEqual({ outcome: 'already-live' });
      const stop = await studio.request('POST', `/studio/channels/${channelId}/stop`);
      expect(stop.body).toEqual({ outcome: 'stopped' });

      await eventually(async () => receiver.received.length >= 2, 15_000);
      const bodies = receiver.received.map((request) => verifySignature(secret, request));
      expect(bodies).toEqual([
        expect.objectContaining({ event: 'channel_live', id: channelId, sequence: 1 }),
        expect.objectContaining({ event: 'channel_stop', id: channelId, sequence: 2 }),
      ]);

      // The module's own API: under the host's prefix with its API key, or nowhere.
      const api = httpApi(`http://127.0.0.1:${port}`, API_KEY);
      if (routes === 'prefixed') {
        const listed = await api.request('GET', '/hooks/v1/webhook');
        expect(listed.status).toBe(200);
        expect((listed.body as { data: { id: string }[] }).data.map((hook) => hook.id)).toEqual([
          webhookId,
        ]);
        const refused = await api.request('GET', '/hooks/v1/webhook', { apiKey: false });
        expect(refused.status).toBe(401);
        expect(refused.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
        const invalid = await api.request('POST', '/hooks/v1/channel', { body: { name: 7 } });
        expect(invalid.status).toBe(400);
        expect((await api.request('GET', '/hooks/health/live')).status).toBe(200);
        // ready: its database answers, its migrations are all applied, its worker runs
        const ready = await api.request('GET', '/hooks/health/ready');
        expect([ready.status, ready.body]).toEqual([
          200,
          expect.objectContaining({ status: 'ok' }),
        ]);
      } else {
        expect((await api.request('GET', '/hooks/v1/webhook')).status).toBe(404);
      }
      expect((await api.request('GET', '/v1/webhook')).status).toBe(404);

      if (connection === 'host') expect(await hostMigrations(database)).toBeGreaterThan(0);

      host.kill('SIGTERM');
      await exitWithin(host);
      expect(host.output()).not.toMatch(/ERROR/);
    },
    90_000,
  );
});
