import { expect } from 'vitest';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { type HttpApi, httpApi } from './http-api.js';
import { freePort, killStep, type SpawnedApp, startApp } from './spawn-app.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

export interface AppBehindProxy {
  database: TestDatabase;
  /** Between the service and the database: `cut()` makes the database unreachable. */
  proxy: TcpProxy;
  app: SpawnedApp;
  /** The service's API with the first of its API_KEYS. */
  service: HttpApi;
}

/**
 * The built service as a process (JSON logs at warn) on a fresh database reached through a TCP
 * proxy, which the shared database server outlives. Each part is stopped by `cleanup`, last first.
 */
export async function spawnAppBehindProxy(
  kind: DatabaseKind,
  cleanup: (() => Promise<unknown>)[],
  env: { API_KEYS: string; INGEST_TOKEN: string } & Record<string, string>,
): Promise<AppBehindProxy> {
  const database = await createTestDatabase(kind);
  cleanup.push(() => database.drop());
  const server = new URL(database.url);
  const proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) });
  cleanup.push(() => proxy.close());
  const proxied = new URL(database.url);
  proxied.port = String(proxy.port);
  const port = await freePort();
  const app = await startApp(proxied.toString(), port, {
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    NODE_ENV: 'production',
    ...env,
  });
  cleanup.push(killStep(app));
  const service = httpApi(`http://127.0.0.1:${port}`, env.API_KEYS.split(',')[0]);
  return { database, proxy, app, service };
}

/**
 * The warnings of one outage in which ingest hooks were kept: one each when the database went,
 * when hooks were kept, when it came back, and when they were applied; nothing per hook.
 */
export const outageWarnings = (applied: number) => [
  expect.stringMatching(/^Database unreachable/),
  expect.stringMatching(/^Ingest hooks \(stops, updates\) cannot be recorded now/),
  expect.stringMatching(/^Database reachable again/),
  `Applied ${applied} ingest hook(s) kept while the database was unreachable`,
];
