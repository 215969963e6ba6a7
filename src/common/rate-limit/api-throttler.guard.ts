import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { API_THROTTLER_OPTIONS, RATE_LIMIT_STORAGE } from './rate-limit.tokens.js';
import { createHash } from 'node:crypto';
import { AUTH_KIND, type AuthKind } from '../auth/auth.decorators.js';

/**
 * Rate limit of the API: per API key (hashed: the key itself never sits in memory maps or logs),
 * or per client address when the API runs without keys. 429 with Retry-After past the limit.
 * Ingest hooks and public routes are not counted here (ingest has its own limit on denials).
 */
@Injectable()
export class ApiThrottlerGuard extends ThrottlerGuard {
  constructor(
    @Inject(API_THROTTLER_OPTIONS) options: ThrottlerModuleOptions,
    @Inject(RATE_LIMIT_STORAGE) storage: ThrottlerStorage,
    reflector: Reflector,
  ) {
    super(options, storage, reflector);
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    const kind = this.reflector.getAllAndOverride<AuthKind | undefined>(AUTH_KIND, [
      context.getHandler(),
      context.getClass(),
    ]);
    return Promise.resolve(kind !== undefined && kind !== 'api-key');
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const headers = request.headers as Record<string, string | undefined>;
    const key = /^Bearer\s+(\S+)/i.exec(headers.authorization ?? '')?.[1];
    if (key)
      return Promise.resolve(`key:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`);
    return Promise.resolve(`ip:${String(request.ip)}`);
  }
}
