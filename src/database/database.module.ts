import { Global, Logger, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { runMigrations } from './migrate.js';
import { Reads } from './reads.js';
import { Sql } from './sql.js';
import { Transactions } from './transactions.js';
import { APP_CONFIG } from '../config/app-config.module.js';

type RootOptions = DataSourceOptions & { autoLoadEntities: boolean; migrateOnStart: boolean };

/** The database connection and its transactions: used by every module that owns a table. */
@Global()
@Module({
  providers: [
    Transactions,
    Sql,
    {
      provide: Reads,
      inject: [getDataSourceToken()],
      useFactory: (dataSource: DataSource) => Reads.open(dataSource),
    },
  ],
  exports: [Transactions, Sql, Reads],
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (app: AppConfig): RootOptions => {
        return {
          ...dataSourceOptions(app.database),
          autoLoadEntities: true,
          migrateOnStart: app.migrateOnStart,
        };
      },
      // Migrations run here, before any provider can touch the schema.
      dataSourceFactory: async (options) => {
        const {
          migrateOnStart,
          autoLoadEntities: _auto,
          ...dataSourceConfig
        } = options as RootOptions;
        const dataSource = await new DataSource(dataSourceConfig).initialize();
        if (migrateOnStart) {
          const applied = await runMigrations(dataSource);
          if (applied.length > 0) {
            new Logger('Database').log(`Applied migrations: ${applied.join(', ')}`);
          }
        }
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
