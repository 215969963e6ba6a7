import type { ModuleMetadata } from '@nestjs/common';
import { AppConfigModule } from '../../src/config/app-config.module.js';
import { Test, type TestingModule } from '@nestjs/testing';
import { loadAppConfig } from '../../src/config/app-config.js';
import { DatabaseModule } from '../../src/database/database.module.js';
import { ENTITIES } from '../../src/entities.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';

export interface TestModule {
  moduleRef: TestingModule;
  database: TestDatabase;
  close(): Promise<void>;
}

/**
 * A slice of the app on a fresh database: the configuration and the database module (migrations
 * applied), plus what `metadata` brings. For tests of one layer without HTTP.
 */
export async function createTestModule(
  kind: DatabaseKind,
  metadata: ModuleMetadata,
): Promise<TestModule> {
  const database = await createTestDatabase(kind);
  const app = loadAppConfig({ DATABASE_URL: database.url });
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [
      AppConfigModule.forConfig(app),
      DatabaseModule.own(ENTITIES),
      ...(metadata.imports ?? []),
    ],
  }).compile();
  await moduleRef.init();
  return {
    moduleRef,
    database,
    close: async () => {
      await moduleRef.close();
      await database.drop();
    },
  };
}
