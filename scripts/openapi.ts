/**
 * Writes the service's OpenAPI document (what GET /docs-json serves) to a file, without starting
 * the service: `npm run openapi -- <file>` (default dist/openapi.json).
 */
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppModule } from '../src/app.module.js';
import { createAdapter } from '../src/app.setup.js';
import { VERSION } from '../src/config/version.js';
import { buildOpenApiDocument } from '../src/openapi.js';

const target = process.argv[2] ?? 'dist/openapi.json';
const app = await NestFactory.create<NestFastifyApplication>(
  AppModule.forRoot({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'error' }),
  createAdapter(),
  { logger: ['error'] },
);
const document = buildOpenApiDocument(app, VERSION);
await app.close();
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
console.log(`OpenAPI document written to ${target}`);
