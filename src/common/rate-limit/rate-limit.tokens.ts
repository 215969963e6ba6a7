/** The API's rate limit (ThrottlerModuleOptions), for ApiThrottlerGuard. */
export const API_THROTTLER_OPTIONS = Symbol('channel-webhooks:api-throttler-options');
/** Where rate-limit counters are kept (a ThrottlerStorage: this process's, or Redis). */
export const RATE_LIMIT_STORAGE = Symbol('channel-webhooks:rate-limit-storage');
