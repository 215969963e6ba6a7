import type { OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * Where reads that are not part of a transaction go: they see committed data only. MySQL's
 * pooled connections already do (each read runs on a connection of its own). SQLite has one
 * writer connection, and a read sent on it while a transaction is open would see that
 * transaction's uncommitted rows: reads get a read-only connection of their own, which WAL lets
 * run beside the writer and which sees each commit once it is made.
 */
export class Reads implements OnApplicationShutdown {
  private constructor(
    readonly manager: EntityManager,
    private readonly own: DataSource | undefined,
  ) {}

  static async open(main: DataSource): Promise<Reads> {
    const options = main.options;
    if (options.type !== 'better-sqlite3' || options.database === ':memory:') {
      return new Reads(main.manager, undefined);
    }
    const reader = await new DataSource({
      type: 'better-sqlite3',
      database: options.database,
      readonly: true,
      entities: main.entityMetadatas.map((metadata) => metadata.target),
      synchronize: false,
      migrationsRun: false,
      logging: false,
      prepareDatabase: (db: { pragma: (source: string) => unknown }) => {
        db.pragma('busy_timeout = 5000');
      },
    }).initialize();
    return new Reads(reader.manager, reader);
  }

  /** A raw result, for a schema to decode (see rows.ts). */
  query(sql: string, parameters?: unknown[]): Promise<unknown> {
    return this.manager.query(sql, parameters);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.own?.isInitialized) await this.own.destroy();
  }
}
