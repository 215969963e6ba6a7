import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/app-config.module.js';
import { dataSourceOptions } from './data-source-options.js';
import { DATA_SOURCE, PENDING_MIGRATIONS, type PendingMigrations } from './data-source.token.js';
import { MIGRATIONS } from './migrations/index.js';
import { runMigrations } from './migrate.js';
import { Reads } from './reads.js';
import { Sql } from './sql.js';
import { Transactions } from './transactions.js';

/** The entity classes of the service's tables. */
type EntityList = (new () => object)[];

/** Where a host's connection records which of the service's migrations it has applied. */
export const HOST_MIGRATIONS_TABLE = 'channel_webhooks_migrations';

/** A host app's TypeORM connection, for the service's tables. */
export interface HostConnection {
  /** The connection's name in the host's TypeOrmModule (its default when omitted). */
  name?: string;
  /**
   * Whether the service applies its migrations at start (recorded in HOST_MIGRATIONS_TABLE), or
   * the host runs them (its own migrations list CHANNEL_WEBHOOKS_MIGRATIONS).
   */
  migrate: boolean;
}

/** Closes the service's own connection last, once everything that wrote through it has stopped. */
@Injectable()
class OwnConnection implements OnApplicationShutdown {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** Pending: some migration the connection lists is not recorded in its migrations table. */
function listed(dataSource: DataSource): PendingMigrations {
  return () => dataSource.showMigrations();
}

/** Pending: some migration of the service's is not recorded in HOST_MIGRATIONS_TABLE. */
function recordedApart(dataSource: DataSource): PendingMigrations {
  return async () => {
    const rows = await dataSource.query<{ name: string }[]>(
      `SELECT name FROM ${HOST_MIGRATIONS_TABLE}`,
    );
    const applied = new Set(rows.map((row) => row.name));
    return MIGRATIONS.some((migration) => !applied.has(migration.name));
  };
}

/** Applies the service's pending migrations on `dataSource`, saying which it applied. */
async function migrate(dataSource: DataSource): Promise<void> {
  const applied = await runMigrations(dataSource);
  if (applied.length > 0) new Logger('Database').log(`Applied migrations: ${applied.join(', ')}`);
}

/** The service's own connection, to DATABASE_URL, migrated before any provider can use it. */
async function openOwn(app: AppConfig, entities: EntityList): Promise<DataSource> {
  const dataSource = await new DataSource(dataSourceOptions(app.database, entities)).initialize();
  if (app.migrateOnStart) await migrate(dataSource);
  return dataSource;
}

/**
 * A host's connection, checked to map the service's tables; its migrations are applied through a
 * connection of the same options that lists them (and only them), then closed.
 */
async function adoptHost(
  dataSource: DataSource,
  entities: EntityList,
  migrateOnStart: boolean,
): Promise<DataSource> {
  const { options } = dataSource;
  if (options.type !== 'mysql' && options.type !== 'better-sqlite3') {
    throw new Error(
      `the host's TypeORM connection is ${options.type}: the service runs on MySQL / MariaDB (mysql2) or SQLite (better-sqlite3)`,
    );
  }
  // Ids are BIGINTs read as strings, and times are UTC: the service's reads depend on both.
  if (
    options.type === 'mysql' &&
    (options.supportBigNumbers !== true ||
      options.bigNumberStrings !== true ||
      options.timezone !== 'Z')
  ) {
    throw new Error(
      "the host's MySQL connection must read BIGINTs as strings, in UTC: make it with channelWebhooksDataSourceOptions(url)",
    );
  }
  const missing = entities.filter((entity) => !dataSource.hasMetadata(entity));
  if (missing.length > 0) {
    throw new Error(
      `the host's TypeORM connection does not map ${missing.map((entity) => entity.name).join(', ')}: ` +
        'set autoLoadEntities, or list CHANNEL_WEBHOOKS_ENTITIES in its entities',
    );
  }
  if (!migrateOnStart) return dataSource;
  if (options.type === 'better-sqlite3' && options.database === ':memory:') {
    throw new Error(
      "the host's in-memory SQLite database is its connection's alone: list CHANNEL_WEBHOOKS_MIGRATIONS in its migrations, with migrate: false",
    );
  }
  const migrator = await new DataSource({
    ...dataSource.options,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: HOST_MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    logging: false,
  }).initialize();
  try {
    await migrate(migrator);
  } finally {
    await migrator.destroy();
  }
  return dataSource;
}

/**
 * The service's database (DATA_SOURCE) and its transactions, for every module that owns a table:
 * a connection of its own (`own`) or a host app's TypeORM connection (`onHost`).
 */
@Global()
@Module({})
export class DatabaseModule {
  /** A connection of its own to DATABASE_URL, mapping `entities` (the service's: entities.ts). */
  static own(entities: EntityList): DynamicModule {
    return DatabaseModule.on(
      {
        provide: DATA_SOURCE,
        inject: [APP_CONFIG],
        useFactory: (app: AppConfig) => openOwn(app, entities),
      },
      [OwnConnection, { provide: PENDING_MIGRATIONS, inject: [DATA_SOURCE], useFactory: listed }],
    );
  }

  /** A host app's TypeORM connection, which must map `entities`. */

  static onHost(host: HostConnection, entities: EntityList): DynamicModule {
    const module = DatabaseModule.on(
      {
        provide: DATA_SOURCE,
        inject: [getDataSourceToken(host.name)],
        useFactory: (dataSource: DataSource) => adoptHost(dataSource, entities, host.migrate),
      },
      [
        {
          provide: PENDING_MIGRATIONS,
          inject: [DATA_SOURCE],
          // Applied here: recorded in their own table. Run by the host: among its own.
          useFactory: host.migrate ? recordedApart : listed,
        },
      ],
    );
    // The host's autoLoadEntities maps the service's tables from here.
    return { ...module, imports: [TypeOrmModule.forFeature(entities, host.name)] };
  }

  private static on(dataSource: Provider, more: Provider[] = []): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        dataSource,
        ...more,
        Transactions,
        Sql,
        {
          provide: Reads,
          inject: [DATA_SOURCE],
          useFactory: (dataSource: DataSource) => Reads.open(dataSource),
        },
      ],
      exports: [DATA_SOURCE, PENDING_MIGRATIONS, Transactions, Sql, Reads],
    };
  }
}
