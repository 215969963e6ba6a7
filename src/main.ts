import { type DynamicModule, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { AppModule } from './app.module.js';
import { configureApp, createAdapter } from './app.setup.js';
import { type AppConfig, ConfigError } from './config/app-config.js';
import { VERSION } from './version.js';

if (existsSync('.env')) process.loadEnvFile('.env');

let appModule: DynamicModule;
try {
  appModule = AppModule.forRoot(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const app = await NestFactory.create<NestFastifyApplication>(appModule, createAdapter());
configureApp(app, VERSION);
const { port } = app.get(ConfigService<{ app: AppConfig }, true>).get('app', { infer: true });
await app.listen(port, '0.0.0.0');
new Logger('Bootstrap').log(`channel-webhooks ${VERSION} listening on ${await app.getUrl()}`);
