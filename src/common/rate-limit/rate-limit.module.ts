import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import type { AppConfig } from '../../config/app-config.js';
import { IngestDenials } from './ingest-denials.js';
import { WindowCounterStorage } from './window-counter.storage.js';

/** The API's rate limit (throttler) and the count of refused ingest hooks. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<{ app: AppConfig }, true>) => {
        const { api } = config.get('app', { infer: true }).rateLimits;
        return {
          // 'default': the throttler's name would otherwise be appended to the Retry-After header
          throttlers: [{ name: 'default', limit: api.limit, ttl: api.windowMs }],
          storage: new WindowCounterStorage(),
        };
      },
    }),
  ],
  providers: [IngestDenials],
  exports: [IngestDenials],
})
export class RateLimitModule {}
