import { describe, expect, it } from 'vitest';
import { ConfigError, loadAppConfig } from './app-config.js';
import { parseDuration } from './duration.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadAppConfig(env);
    return [];
  } catch (error) {
    return error instanceof ConfigError ? error.problems : ['not a ConfigError'];
  }
};

describe('loadAppConfig', () => {
  it('has the documented defaults', () => {
    const sut = loadAppConfig({});
    expect(sut).toMatchObject({
      role: 'both',
      port: 3000,
      nodeEnv: 'development',
      database: { type: 'sqlite', path: 'data/channel-webhooks.sqlite' },
      migrateOnStart: true,
      apiKeys: [],
      ingestToken: undefined,
      delivery: {
        concurrency: 64,
        timeoutMs: 15_000,
        retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
        retryJitter: 0.2,
        allowedCidrs: [],
        responseMaxBytes: { failure: 65_536, success: 1_024 },
        dnsServers: [],
        dnsTimeoutMs: 2_000,
        proxy: undefined,
      },
      webhookDisableAfterMs: 5 * 86_400_000,
      webhookFailingAfterMs: 15 * 60_000,
      webhookSecretGraceMs: 24 * 3_600_000,
      logLevel: 'info',
      compatGetDelete: false,
      shutdownTimeoutMs: 30_000,
      databaseMaxPacket: undefined,
    });
  });

  it('reads every setting', () => {
    const sut = loadAppConfig({
      SERVICE_ROLE: 'Worker',
      PORT: '8080',
      DATABASE_URL: 'mysql://user:p%40ss@db.internal:3307/hooks',
      DB_MIGRATE_ON_START: 'false',
      API_KEYS: ' a , b ,,',
      INGEST_TOKEN: 'tok',
      DELIVERY_CONCURRENCY: '8',
      DELIVERY_CONCURRENCY_PER_WEBHOOK: '3',
      DELIVERY_RETENTION: '7d',
      DELIVERY_RESPONSE_MAX_BYTES: '4096',
      DELIVERY_RESPONSE_MAX_BYTES_SUCCESS: '0',
      REDIS_URL: 'redis://cache.internal:6379/2',
      DELIVERY_TIMEOUT: '500ms',
      DELIVERY_RETRY_SCHEDULE: '1s, 2m',
      DELIVERY_RETRY_JITTER: '0',
      DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8,::1/128',
      DNS_SERVERS: '192.0.2.53, 127.0.0.1:5353,[::1]:53,2001:db8::53',
      DNS_TIMEOUT: '500ms',
      DELIVERY_PROXY: 'http://egress.internal:3128',
      WEBHOOK_DISABLE_AFTER: '2h',
      WEBHOOK_FAILING_AFTER: '5m',
      WEBHOOK_SECRET_GRACE: '30m',
      METRICS_TOKEN: 'm',
      LOG_LEVEL: 'debug',
      RATE_LIMIT_API: '50/10s',
      RATE_LIMIT_INGEST_DENIALS: '3/1h',
      COMPAT_GET_DELETE: 'true',
      SHUTDOWN_TIMEOUT: '10s',
      DATABASE_MAX_PACKET: '1048576',
    });
    expect(sut).toMatchObject({
      role: 'worker',
      port: 8080,
      database: { type: 'mysql', database: 'hooks' },
      migrateOnStart: false,
      apiKeys: ['a', 'b'],
      ingestToken: 'tok',
      delivery: {
        concurrency: 8,
        concurrencyPerWebhook: 3,
        timeoutMs: 500,
        retryScheduleMs: [1_000, 120_000],
        retryJitter: 0,
        allowedCidrs: ['127.0.0.0/8', '::1/128'],
        retentionMs: 604_800_000,
        responseMaxBytes: { failure: 4_096, success: 0 },
        dnsServers: ['192.0.2.53', '127.0.0.1:5353', '[::1]:53', '2001:db8::53'],
        dnsTimeoutMs: 500,
      },
      webhookDisableAfterMs: 7_200_000,
      webhookFailingAfterMs: 300_000,
      webhookSecretGraceMs: 1_800_000,
      metricsToken: 'm',
      redisUrl: 'redis://cache.internal:6379/2',
      logLevel: 'debug',
      compatGetDelete: true,
      shutdownTimeoutMs: 10_000,
      databaseMaxPacket: 1_048_576,
      rateLimits: {
        api: { limit: 50, windowMs: 10_000 },
        ingestDenials: { limit: 3, windowMs: 3_600_000 },
      },
    });
    expect(sut.delivery.proxy?.href).toBe('http://egress.internal:3128/');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '65536' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ DATABASE_URL: 'postgres://h/db' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://host' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://host:99999/db' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'sqlite:' }, 'DATABASE_URL'],
    [{ DB_MIGRATE_ON_START: 'maybe' }, 'DB_MIGRATE_ON_START'],
    [{ COMPAT_GET_DELETE: 'on' }, 'COMPAT_GET_DELETE'],
    [{ DELIVERY_CONCURRENCY: '0' }, 'DELIVERY_CONCURRENCY'],
    [{ DELIVERY_CONCURRENCY_PER_WEBHOOK: '0' }, 'DELIVERY_CONCURRENCY_PER_WEBHOOK'],
    [{ REDIS_URL: 'http://cache:6379' }, 'REDIS_URL'],
    [{ DELIVERY_RESPONSE_MAX_BYTES: '64KiB' }, 'DELIVERY_RESPONSE_MAX_BYTES'],
    [{ DELIVERY_RESPONSE_MAX_BYTES_SUCCESS: '1048577' }, 'DELIVERY_RESPONSE_MAX_BYTES_SUCCESS'],
    [{ DELIVERY_TIMEOUT: '15' }, 'DELIVERY_TIMEOUT'],
    [{ DELIVERY_RETRY_SCHEDULE: '5s,soon' }, 'DELIVERY_RETRY_SCHEDULE'],
    [{ DELIVERY_RETRY_JITTER: '2' }, 'DELIVERY_RETRY_JITTER'],
    [{ DELIVERY_RETRY_JITTER: '-0.1' }, 'DELIVERY_RETRY_JITTER'],
    [{ DELIVERY_ALLOWED_CIDRS: 'localhost' }, 'DELIVERY_ALLOWED_CIDRS'],
    [{ DNS_SERVERS: 'dns.example.com' }, 'DNS_SERVERS'],
    [{ DNS_SERVERS: '127.0.0.1:0' }, 'DNS_SERVERS'],
    [{ DNS_SERVERS: '[::1]' }, 'DNS_SERVERS'],
    [{ DNS_TIMEOUT: '0ms' }, 'DNS_TIMEOUT'],
    [{ DELIVERY_PROXY: 'https://proxy:3128' }, 'DELIVERY_PROXY'],
    [{ DELIVERY_PROXY: 'socks5://proxy:1080' }, 'DELIVERY_PROXY'],
    [{ DELIVERY_PROXY: 'proxy:3128' }, 'DELIVERY_PROXY'],
    [{ DELIVERY_PROXY: 'http://proxy:3128/path' }, 'DELIVERY_PROXY'],
    [{ WEBHOOK_DISABLE_AFTER: '5 days' }, 'WEBHOOK_DISABLE_AFTER'],
    [{ WEBHOOK_FAILING_AFTER: 'soon' }, 'WEBHOOK_FAILING_AFTER'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ SERVICE_ROLE: 'delivery' }, 'SERVICE_ROLE'],
    [{ SHUTDOWN_TIMEOUT: 'soon' }, 'SHUTDOWN_TIMEOUT'],
    [{ DATABASE_MAX_PACKET: '1000' }, 'DATABASE_MAX_PACKET'],
    [{ RATE_LIMIT_API: '100' }, 'RATE_LIMIT_API'],
    [{ RATE_LIMIT_API: '0/1m' }, 'RATE_LIMIT_API'],
    [{ RATE_LIMIT_INGEST_DENIALS: '5/soon' }, 'RATE_LIMIT_INGEST_DENIALS'],
    [{ NODE_ENV: 'production', INGEST_TOKEN: 't' }, 'API_KEYS'],
    [{ NODE_ENV: 'production', API_KEYS: 'k' }, 'INGEST_TOKEN'],
  ])('refuses %j, naming %s', (env, named) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(named);
  });

  it.each([
    [{}, false],
    [{ TRUST_PROXY: 'false' }, false],
    [{ TRUST_PROXY: 'true' }, true],
    [
      { TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,::1,loopback' },
      ['10.0.0.5', '192.168.0.0/16', '::1', 'loopback'],
    ],
  ])('reads TRUST_PROXY %j as %j', (env, expected) => {
    expect(loadAppConfig(env).trustProxy).toEqual(expected);
  });

  it.each(['2', 'yes-please', '10.0.0.256', '10.0.0.0/33', 'proxy.internal', '10.1', ','])(
    'refuses TRUST_PROXY=%s, naming it',
    (raw) => {
      const problems = problemsOf({ TRUST_PROXY: raw });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('TRUST_PROXY');
    },
  );

  it.each(['api', 'worker', 'both'])('takes SERVICE_ROLE=%s', (role) => {
    expect(loadAppConfig({ SERVICE_ROLE: role }).role).toBe(role);
  });

  it('says which roles there are', () => {
    expect(problemsOf({ SERVICE_ROLE: 'all' })).toEqual([
      'SERVICE_ROLE must be one of api, worker, both, got "all"',
    ]);
  });

  it('names every bad variable at once', () => {
    expect(problemsOf({ PORT: 'x', LOG_LEVEL: 'y', DELIVERY_TIMEOUT: 'z' })).toHaveLength(3);
  });

  it('starts in production with keys and a token', () => {
    expect(
      loadAppConfig({ NODE_ENV: 'production', API_KEYS: 'k', INGEST_TOKEN: 't' }).production,
    ).toBe(true);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['15s', 15_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['5d', 432_000_000],
    ['1.5s', 1_500],
  ])('reads %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '5', 's', '5w', '-5s', '5 s s'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
