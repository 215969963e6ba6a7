import { type DynamicModule, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { configureApp, createAdapter } from './app.setup.js';
import { type AppConfig, ConfigError } from './config/app-config.js';
import { VERSION } from './config/version.js';

if (existsSync('.env')) process.loadEnvFile('.env');

let appModule: DynamicModule;
try {
  appModule = AppModule.forRoot(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const app = await NestFactory.create<NestFastifyApplication>(appModule, createAdapter(), {
  bufferLogs: true,
});
app.useLogger(app.get(PinoLogger));
const config = app.get(ConfigService<{ app: AppConfig }, true>).get('app', { infer: true });
configureApp(app, VERSION);
// SIGTERM and SIGINT drain: stop taking work, finish what is in flight, close, exit 0.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    new Logger('Bootstrap').log(`${signal}: shutting down`);
    void app.close().then(
      () => process.exit(0),
      (error: Error) => {
        new Logger('Bootstrap').error('Shutdown failed', error.stack);
        process.exit(1);
      },
    );
  });
}
await app.listen(config.port, '0.0.0.0');
new Logger('Bootstrap').log(`channel-webhooks ${VERSION} listening on ${await app.getUrl()}`);
