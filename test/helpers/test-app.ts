import type { LoggerService } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module.js';
import { configureApp, createAdapter } from '../../src/app.setup.js';
import { loadAppConfig } from '../../src/config/app-config.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { type RequestOptions, send, type TestResponse } from './http-api.js';
import { OpenApiAnswers } from './openapi-answers.js';

export type { RequestOptions, TestResponse };

export interface TestApp {
  app: NestFastifyApplication;
  baseUrl: string;
  database: TestDatabase;
  /** fetch() against the app, with the API key (if any) and JSON handled. */
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  close(options?: { keepDatabase?: boolean }): Promise<void>;
}

export const TEST_API_KEY = 'test-key-0123456789';

/** Boots the real app (Fastify, global pipes, auth, migrations) on a fresh database, listening on loopback. */
export async function createTestApp(
  kind: DatabaseKind,
  env: Record<string, string> = {},
  existing?: TestDatabase,
  logger?: LoggerService,
): Promise<TestApp> {
  const database = existing ?? (await createTestDatabase(kind));
  const fullEnv: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    API_KEYS: TEST_API_KEY,
    DELIVERY_RETRY_JITTER: '0',
    // test receivers listen on loopback, which the SSRF guard otherwise refuses
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    // suites send thousands of requests with one key; the limit suite sets its own
    RATE_LIMIT_API: '1000000/1m',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_INGEST_DENIALS: '100000/1m',
    ...env,
  };
  const config = loadAppConfig(fullEnv);
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forConfig(config)],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createAdapter(config.trustProxy),
    {
      logger: ['error', 'warn'],
    },
  );
  if (logger) app.useLogger(logger);
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const baseUrl = await app.getUrl();
  const defaultKey = fullEnv.API_KEYS ? fullEnv.API_KEYS.split(',')[0].trim() : undefined;
  let answers: OpenApiAnswers | undefined;

  const request = async (
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<TestResponse> => {
    const response = await send(baseUrl, defaultKey, method, path, options);
    // Every answer a suite reads is held to what the OpenAPI document promises.
    answers ??= await openApiAnswers(baseUrl);
    const problem = answers.problem(
      method,
      path,
      response.status,
      response.headers.get('content-type'),
      response.body,
    );
    if (problem) throw new Error(`Answer outside the OpenAPI document: ${problem}`);
    return response;
  };

  return {
    app,
    baseUrl,
    database,
    request,
    close: async (options = {}) => {
      await app.close();
      if (!options.keepDatabase) await database.drop();
    },
  };
}

const checkers = new Map<string, OpenApiAnswers>();

/** The checker of the app's own document (GET /docs-json), one per distinct document. */
async function openApiAnswers(baseUrl: string): Promise<OpenApiAnswers> {
  const text = await (await fetch(`${baseUrl}/docs-json`)).text();
  let checker = checkers.get(text);
  if (!checker) {
    checker = new OpenApiAnswers(JSON.parse(text));
    checkers.set(text, checker);
  }
  return checker;
}
