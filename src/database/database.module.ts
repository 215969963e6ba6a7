import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { runMigrations } from './migrate.js';
import { Reads } from './reads.js';
import { Sql } from './sql.js';
import { Transactions } from './transactions.js';

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
      inject: [ConfigService],
      useFactory: (config: ConfigService<{ app: AppConfig }, true>): RootOptions => {
        const app = config.get('app', { infer: true });
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
