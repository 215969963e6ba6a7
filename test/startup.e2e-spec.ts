import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseKinds } from './helpers/databases.js';
import { createTestApp } from './helpers/test-app.js';
import { freePort, PROJECT_ROOT, spawnApp, waitForHttp } from './helpers/spawn-app.js';

const folders: string[] = [];
const tempFolder = () => {
  const folder = mkdtempSync(join(tmpdir(), 'cw-start-'));
  folders.push(folder);
  return folder;
};
afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

describe('start-up', () => {
  it('serves on the embedded SQLite default with no setup, creating data/', async () => {
    const cwd = tempFolder();
    const port = await freePort();
    const app = spawnApp({ PORT: String(port) }, cwd);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/v1/webhook`, app);
      const created = await fetch(`http://127.0.0.1:${port}/v1/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uri: 'https://a.example/x', event: 'all' }),
      });
      expect(created.status).toBe(201);
      expect(existsSync(join(cwd, 'data', 'channel-webhooks.sqlite'))).toBe(true);
      expect(app.output()).toMatch(/API_KEYS is not set/);
    } finally {
      app.kill();
      await app.exited;
    }
  });

  it('says in a few lines where it listens, and listens on IPv4 and IPv6 unless HOST narrows it', async () => {
    const port = await freePort();
    const app = spawnApp(
      { PORT: String(port), NODE_ENV: 'development', API_KEYS: 'k', INGEST_TOKEN: 't' },
      tempFolder(),
    );
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/live`, app);
      expect((await fetch(`http://[::1]:${port}/health/live`)).status).toBe(200);
      const lines = app.output().split('\n');
      const listening = lines.findIndex((line) => line.includes('listening on'));
      expect(listening).toBeGreaterThanOrEqual(0);
      expect(listening + 1).toBeLessThanOrEqual(10);
      expect(lines[listening]).toContain(`http://[::]:${port} (every IPv6 and IPv4 address)`);
      // Nest's own narration (modules, routes) is at debug.
      expect(app.output()).not.toMatch(/InstanceLoader|RouterExplorer|Mapped \{/);
    } finally {
      app.kill();
      await app.exited;
    }

    const narrowed = spawnApp(
      { PORT: String(port), HOST: '127.0.0.1', API_KEYS: 'k', INGEST_TOKEN: 't' },
      tempFolder(),
    );
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/live`, narrowed);
      await expect(fetch(`http://[::1]:${port}/health/live`)).rejects.toThrow();
      expect(narrowed.output()).toContain(`listening on http://127.0.0.1:${port}`);
    } finally {
      narrowed.kill();
      await narrowed.exited;
    }
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ DATABASE_URL: 'postgres://localhost/db' }, 'DATABASE_URL'],
    [{ NODE_ENV: 'production', INGEST_TOKEN: 't' }, 'API_KEYS'],
  ] as [Record<string, string>, string][])(
    'refuses to start with %j, naming %s (every rule: app-config.spec.ts)',
    async (env, named) => {
      const app = spawnApp(
        { ...env, DATABASE_URL: env.DATABASE_URL ?? `sqlite:${tempFolder()}/db.sqlite` },
        tempFolder(),
      );
      expect(await app.exited).toBe(1);
      expect(app.output()).toContain(named);
    },
  );
});

describe.each(databaseKinds())('migrations on %s', (kind) => {
  it('DB_MIGRATE_ON_START=false leaves the schema alone; npm run migration:run applies it', async () => {
    const database = await createTestDatabase(kind);
    try {
      const bare = await createTestApp(kind, { DB_MIGRATE_ON_START: 'false' }, database);
      const failing = await bare.request('GET', '/v1/webhook');
      expect(failing.status).toBe(500);
      expect(failing.body).toEqual({
        statusCode: 500,
        message: 'Internal server error',
        error: 'Internal Server Error',
      });
      await bare.close({ keepDatabase: true });

      const cli = spawnSync('npm', ['run', '-s', 'migration:run'], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, DATABASE_URL: database.url },
        encoding: 'utf8',
      });
      expect(cli.status, cli.stdout + cli.stderr).toBe(0);

      const migrated = await createTestApp(kind, { DB_MIGRATE_ON_START: 'false' }, database);
      expect((await migrated.request('GET', '/v1/webhook')).status).toBe(200);
      await migrated.close({ keepDatabase: true });

      if (kind === 'sqlite') {
        const db = new Database(database.url.slice('sqlite:'.length), { readonly: true });
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
          name: string;
        }[];
        expect(tables.map((table) => table.name)).toEqual(
          expect.arrayContaining(['webhook', 'webhook_event', 'migrations']),
        );
        db.close();
      }
    } finally {
      await database.drop();
    }
  });
});
