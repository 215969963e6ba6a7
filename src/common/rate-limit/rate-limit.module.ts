import { Module } from '@nestjs/common';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '../../config/app-config.js';
import { IngestDenials } from './ingest-denials.js';
import { WindowCounterStorage } from './window-counter.storage.js';
import { APP_CONFIG } from '../../config/app-config.module.js';

/**
 * The API's rate limit (throttler) and the count of refused ingest hooks, in this process or,
 * with REDIS_URL, in Redis (through @nest-lab/throttler-storage-redis).
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (app: AppConfig) => {
        const { api } = app.rateLimits;
        return {
          // 'default': the throttler's name would otherwise be appended to the Retry-After header
          throttlers: [{ name: 'default', limit: api.limit, ttl: api.windowMs }],
          // With REDIS_URL the counters are shared, so every instance enforces the same limits.
          storage: app.redisUrl
            ? new ThrottlerStorageRedisService(app.redisUrl)
            : new WindowCounterStorage(),
        };
      },
    }),
  ],
  providers: [IngestDenials],
  exports: [IngestDenials],
})
export class RateLimitModule {}
