import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Writable } from 'node:stream';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/app-config.module.js';

/** Query parameters that carry credentials: never written to a log. */
const SECRET_QUERY = /([?&](?:token|key|secret|api_key)=)[^&#]*/gi;

export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_QUERY, '$1[redacted]');
}

/**
 * JSON lines through nestjs-pino for everything the service logs, at LOG_LEVEL, pretty when
 * developing at a terminal. Credentials never reach a line: URLs are logged with their token
 * redacted, and headers are not logged.
 */
@Module({})
export class LoggingModule {
  static forRoot(destination?: Writable): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (app: AppConfig) => {
            const pretty =
              !destination && app.nodeEnv === 'development' && process.stdout.isTTY === true;
            const options = {
              level: app.logLevel,
              // Request lines are written by the Fastify hook in app.setup.ts, with the route's own id.
              autoLogging: false,
              redact: {
                paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'],
                censor: '[redacted]',
              },
              base: { service: 'channel-webhooks' },
              ...(pretty
                ? { transport: { target: 'pino-pretty', options: { singleLine: true } } }
                : {}),
            };
            return { pinoHttp: destination ? [options, destination] : options };
          },
        }),
      ],
    };
  }
}
