import { type DynamicModule, Global, Inject, Module, type Provider } from '@nestjs/common';
import type { AppConfig } from './app-config.js';

/** The service's settings (an AppConfig), as its providers inject them. */
export const APP_CONFIG = Symbol('channel-webhooks:config');

/** Injects the service's settings (`APP_CONFIG`). */
export const InjectAppConfig = (): ParameterDecorator => Inject(APP_CONFIG);

/**
 * The service's settings for every one of its modules, under a token of its own: a host app's own
 * configuration (its ConfigModule, its keys) is never read nor changed.
 */
@Global()
@Module({})
export class AppConfigModule {
  static forConfig(app: AppConfig): DynamicModule {
    return AppConfigModule.forProvider({ provide: APP_CONFIG, useValue: app });
  }

  /** The settings from a provider of APP_CONFIG (e.g. a factory of the host's). */
  static forProvider(provider: Provider): DynamicModule {
    return { module: AppConfigModule, providers: [provider], exports: [APP_CONFIG] };
  }
}
