import { Global, Module } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import { Authenticator } from '../auth/auth.guard.js';
import { API_THROTTLER_OPTIONS, RATE_LIMIT_STORAGE } from './rate-limit.tokens.js';
import type { AppConfig } from '../../config/app-config.js';
import { IngestDenials } from './ingest-denials.js';
import { WindowCounterStorage } from './window-counter.storage.js';
import { APP_CONFIG } from '../../config/app-config.module.js';

/**
 * The API's rate limit and the count of refused ingest hooks, in this process or, with REDIS_URL,
 * in Redis (through @nest-lab/throttler-storage-redis). Under tokens of the service's own, not
 * ThrottlerModule's (global): a host app's own rate limits, if it has any, stay its own. Global
 * itself, for the guards of every controller of the service.
 */
@Global()
@Module({
  providers: [
    {
      provide: API_THROTTLER_OPTIONS,
      inject: [APP_CONFIG],
      useFactory: (app: AppConfig): ThrottlerModuleOptions => {
        const { api } = app.rateLimits;
        // 'default': the throttler's name would otherwise be appended to the Retry-After header
        return { throttlers: [{ name: 'default', limit: api.limit, ttl: api.windowMs }] };
      },
    },
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [APP_CONFIG],
      // With REDIS_URL the counters are shared, so every instance enforces the same limits.
      useFactory: (app: AppConfig): ThrottlerStorage =>
        app.redisUrl ? new ThrottlerStorageRedisService(app.redisUrl) : new WindowCounterStorage(),
    },
    IngestDenials,
    Authenticator,
  ],
  exports: [API_THROTTLER_OPTIONS, RATE_LIMIT_STORAGE, IngestDenials, Authenticator],
})
export class RateLimitModule {}
