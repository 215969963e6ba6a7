import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

export type DatabaseKind = 'sqlite' | 'mysql';

/** SQLite always; MySQL too when TEST_MYSQL_URL is set (CI sets it). */
export function databaseKinds(): DatabaseKind[] {
  return process.env.TEST_MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];
}

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database: a temporary SQLite file, or a new MySQL database on the test server. */
export function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  return createDatabase(kind, 'cw_test', process.env.TEST_MYSQL_URL);
}

/**
 * A fresh, empty database named `<prefix>_<time>_<random>`: a SQLite file in a temporary folder,
 * or a new database on the MySQL server at `mysqlServer` (its path is ignored).
 */
export async function createDatabase(
  kind: DatabaseKind,
  prefix: string,
  mysqlServer?: string,
): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  if (kind === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), `${name}-`));
    return {
      kind,
      url: `sqlite:${join(folder, 'database.sqlite')}`,
      drop: () => Promise.resolve(rmSync(folder, { recursive: true, force: true })),
    };
  }
  if (!mysqlServer) throw new Error('a MySQL database needs the URL of a MySQL server');
  const server = new URL(mysqlServer);
  server.pathname = '/';
  const admin = await createConnection(server.toString());
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      const connection = await createConnection(server.toString());
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}
