import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';
import { parseDuration } from './duration.js';

function isValidCidr(text: string): boolean {
  try {
    ipaddr.parseCIDR(text);
    return true;
  } catch {
    return false;
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/**
 * What one process runs: the HTTP API (with ingest hooks, console, health, metrics), the delivery
 * worker with every background job (fan-out, delivery, retention, expiries), or both.
 */
export type ServiceRole = 'api' | 'worker' | 'both';
const SERVICE_ROLES: readonly ServiceRole[] = ['api', 'worker', 'both'];

export type DatabaseConfig =
  { type: 'sqlite'; path: string } | { type: 'mysql'; url: string; database: string };

/** The whole configuration, parsed and validated once at start-up. Nothing else reads process.env. */
export interface AppConfig {
  role: ServiceRole;
  port: number;
  nodeEnv: string;
  production: boolean;
  database: DatabaseConfig;
  migrateOnStart: boolean;
  apiKeys: string[];
  ingestToken: string | undefined;
  delivery: {
    concurrency: number;
    /** Attempts one webhook may have in flight on an instance, at most. */
    concurrencyPerWebhook: number;
    timeoutMs: number;
    retryScheduleMs: number[];
    retryJitter: number;
    allowedCidrs: string[];
    /** Finished deliveries (and their attempts) are deleted this long after their last change. */
    retentionMs: number;
    /** Of an attempt's answer, this many bytes (UTF-8) are kept in the log; of a 2xx answer, `success`. */
    responseMaxBytes: { failure: number; success: number };
    /** The DNS servers callbacks' host names are resolved with (`ip` or `ip:port`); []: the system's. */
    dnsServers: string[];
    /** How long one DNS query may wait for an answer, per try (two tries per server). */
    dnsTimeoutMs: number;
    /** The HTTP proxy every callback goes through (CONNECT for https); undefined: none. */
    proxy: URL | undefined;
  };
  webhookDisableAfterMs: number;
  /** A webhook failing this long raises webhook_failing (once per failing run). */
  webhookFailingAfterMs: number;
  webhookSecretGraceMs: number;
  metricsToken: string | undefined;
  /** Where rate-limit counters live, shared by every instance; undefined: in each process. */
  redisUrl: string | undefined;
  /** The address to listen on; undefined: '::' (IPv6 and, dual-stack, IPv4). */
  host: string | undefined;
  /**
   * Which proxies' X-Forwarded-For is believed (Fastify's trustProxy): none, any, or those at
   * these addresses and ranges. The client address of a request (rate limits, logs) follows it.
   */
  trustProxy: TrustProxy;
  logLevel: LogLevel;
  /** /health/ready fails when the oldest due delivery has waited longer than this. */
  healthMaxDueAgeMs: number;
  /** A live channel with no hook for this long is stopped; undefined: never. */
  ingestStaleAfterMs: number | undefined;
  /**
   * GET /v1/webhook/{webhookId} deletes, as the original API document says, instead of reading:
   * for clients written against that document.
   */
  compatGetDelete: boolean;
  /** How long SIGTERM waits for work in flight and outcomes to be written before it exits. */
  shutdownTimeoutMs: number;
  /** Bytes one write of attempt outcomes may send, below the server's own limit; undefined: its limit. */
  databaseMaxPacket: number | undefined;
  rateLimits: {
    /** Requests per API key (or per address, without a key) in each window. */
    api: RateLimit;
    /** Refused ingest hooks (unknown stream key, bad token) per client address in each window. */
    ingestDenials: RateLimit;
  };
}

export type TrustProxy = boolean | string[];

export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** The most of an answer a setting may keep: 1 MiB (MySQL keeps it in a MEDIUMTEXT). */
const RESPONSE_MAX_BYTES_LIMIT = 1024 * 1024;

export const DEFAULT_DATABASE_URL = 'sqlite:data/channel-webhooks.sqlite';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads every setting of the configuration table; collects every bad variable before failing. */
export function loadAppConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };

  const optionalDuration = (name: string): number | undefined => {
    const raw = value(name);
    if (raw === undefined) return undefined;
    const ms = parseDuration(raw);
    if (ms === undefined || ms <= 0) {
      problems.push(`${name} must be a positive duration such as 30s or 2m, got "${raw}"`);
      return undefined;
    }
    return ms;
  };
  const duration = (name: string, fallback: string): number => {
    const raw = value(name) ?? fallback;
    const ms = parseDuration(raw);
    if (ms === undefined) {
      problems.push(`${name} must be a duration such as 500ms, 15s, 5m, 2h or 5d, got "${raw}"`);
      return parseDuration(fallback) ?? 0;
    }
    return ms;
  };

  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = value(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };

  const list = (name: string): string[] =>
    (value(name) ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');

  const nodeEnv = value('NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';

  const database = parseDatabaseUrl(value('DATABASE_URL') ?? DEFAULT_DATABASE_URL, problems);

  const apiKeys = list('API_KEYS');
  const ingestToken = value('INGEST_TOKEN');
  if (production && apiKeys.length === 0) {
    problems.push('API_KEYS must be set when NODE_ENV=production (the API would be open)');
  }
  if (production && ingestToken === undefined) {
    problems.push('INGEST_TOKEN must be set when NODE_ENV=production (ingest hooks would be open)');
  }

  const retryScheduleMs = list('DELIVERY_RETRY_SCHEDULE').length
    ? list('DELIVERY_RETRY_SCHEDULE').map((item) => {
        const ms = parseDuration(item);
        if (ms === undefined) {
          problems.push(`DELIVERY_RETRY_SCHEDULE has "${item}", which is not a duration`);
        }
        return ms ?? 0;
      })
    : ['5s', '5m', '30m', '2h', '5h', '10h', '10h'].map((item) => parseDuration(item) ?? 0);

  const jitterRaw = value('DELIVERY_RETRY_JITTER') ?? '0.2';
  const retryJitter = Number(jitterRaw);
  if (!/^\d+(\.\d+)?$/.test(jitterRaw) || retryJitter > 1) {
    problems.push(`DELIVERY_RETRY_JITTER must be a fraction from 0 to 1, got "${jitterRaw}"`);
  }

  const allowedCidrs = list('DELIVERY_ALLOWED_CIDRS');
  for (const cidr of allowedCidrs) {
    if (!isValidCidr(cidr)) {
      problems.push(`DELIVERY_ALLOWED_CIDRS has "${cidr}", which is not a CIDR range`);
    }
  }

  const dnsServers = list('DNS_SERVERS');
  for (const server of dnsServers) {
    if (!isDnsServer(server)) {
      problems.push(
        `DNS_SERVERS has "${server}", which is not an IP address with an optional port (1.2.3.4, 1.2.3.4:53, [::1]:53)`,
      );
    }
  }
  const dnsTimeoutMs = duration('DNS_TIMEOUT', '2s');
  if (dnsTimeoutMs < 1) problems.push('DNS_TIMEOUT must be at least 1ms');

  const rateLimit = (name: string, fallback: string): RateLimit => {
    const raw = value(name) ?? fallback;
    const match = /^(\d+)\s*\/\s*(\S+)$/.exec(raw);
    const windowMs = match ? parseDuration(match[2]) : undefined;
    if (!match || windowMs === undefined || Number(match[1]) < 1 || windowMs < 1) {
      problems.push(`${name} must be <count>/<duration>, such as 600/1m, got "${raw}"`);
      return { limit: 1, windowMs: 60_000 };
    }
    return { limit: Number(match[1]), windowMs };
  };

  const logLevel = (value('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const role = (value('SERVICE_ROLE') ?? 'both').toLowerCase() as ServiceRole;
  if (!SERVICE_ROLES.includes(role)) {
    problems.push(`SERVICE_ROLE must be one of ${SERVICE_ROLES.join(', ')}, got "${role}"`);
  }

  const config: AppConfig = {
    role,
    port: integer('PORT', 3000, 0, 65535),
    nodeEnv,
    production,
    database,
    migrateOnStart: boolean('DB_MIGRATE_ON_START', true),
    apiKeys,
    ingestToken,
    delivery: {
      concurrency: integer('DELIVERY_CONCURRENCY', 64, 1, 10_000),
      concurrencyPerWebhook: integer('DELIVERY_CONCURRENCY_PER_WEBHOOK', 16, 1, 10_000),
      timeoutMs: duration('DELIVERY_TIMEOUT', '15s'),
      retryScheduleMs,
      retryJitter: Number.isFinite(retryJitter) ? retryJitter : 0.2,
      allowedCidrs,
      retentionMs: duration('DELIVERY_RETENTION', '30d'),
      responseMaxBytes: {
        failure: integer('DELIVERY_RESPONSE_MAX_BYTES', 64 * 1024, 0, RESPONSE_MAX_BYTES_LIMIT),
        success: integer('DELIVERY_RESPONSE_MAX_BYTES_SUCCESS', 1024, 0, RESPONSE_MAX_BYTES_LIMIT),
      },
      dnsServers,
      dnsTimeoutMs,
      proxy: deliveryProxy(value('DELIVERY_PROXY'), problems),
    },
    webhookDisableAfterMs: duration('WEBHOOK_DISABLE_AFTER', '5d'),
    webhookFailingAfterMs: duration('WEBHOOK_FAILING_AFTER', '15m'),
    webhookSecretGraceMs: duration('WEBHOOK_SECRET_GRACE', '24h'),
    metricsToken: value('METRICS_TOKEN'),
    redisUrl: redisUrl(value('REDIS_URL'), problems),
    host: value('HOST'),
    trustProxy: trustProxy(value('TRUST_PROXY'), problems),
    logLevel,
    healthMaxDueAgeMs: duration('HEALTH_MAX_DUE_AGE', '5m'),
    ingestStaleAfterMs: optionalDuration('INGEST_STALE_AFTER'),
    compatGetDelete: boolean('COMPAT_GET_DELETE', false),
    shutdownTimeoutMs: duration('SHUTDOWN_TIMEOUT', '30s'),
    databaseMaxPacket:
      value('DATABASE_MAX_PACKET') === undefined
        ? undefined
        : integer('DATABASE_MAX_PACKET', 0, 65_536, 1_073_741_824),
    rateLimits: {
      api: rateLimit('RATE_LIMIT_API', '1200/1m'),
      ingestDenials: rateLimit('RATE_LIMIT_INGEST_DENIALS', '30/1m'),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** An address as c-ares takes it: `1.2.3.4`, `1.2.3.4:53`, `::1` or `[::1]:53`. */
function isDnsServer(text: string): boolean {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([\d.]+):(\d+)$/.exec(text);
  if (!match) return isIP(text) !== 0;
  const port = Number(match[2]);
  return isIP(match[1]) !== 0 && port >= 1 && port <= 65535;
}

function parseDatabaseUrl(raw: string, problems: string[]): DatabaseConfig {
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '')
      problems.push('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:data/db.sqlite');
    return { type: 'sqlite', path };
  }
  if (raw.startsWith('mysql://') || raw.startsWith('mariadb://')) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      problems.push('DATABASE_URL is not a valid mysql://user:pass@host:port/db URL');
      return { type: 'mysql', url: raw, database: '' };
    }
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    if (url.hostname === '' || database === '' || database.includes('/')) {
      problems.push('DATABASE_URL must name a host and a database: mysql://user:pass@host:port/db');
    }
    if (url.port !== '' && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) {
      problems.push('DATABASE_URL has a port out of range');
    }
    url.protocol = 'mysql:';
    return { type: 'mysql', url: url.toString(), database };
  }
  problems.push(
    'DATABASE_URL must start with mysql:// or sqlite: (e.g. sqlite:data/channel-webhooks.sqlite)',
  );
  return { type: 'sqlite', path: '' };
}

/** `http://host:port` (credentials allowed, nothing after the port): the callbacks' proxy. */
function deliveryProxy(raw: string | undefined, problems: string[]): URL | undefined {
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (
    url?.protocol === 'http:' &&
    url.hostname !== '' &&
    url.pathname === '/' &&
    !url.search &&
    !url.hash
  ) {
    return url;
  }
  problems.push(
    `DELIVERY_PROXY must be an http:// URL of a proxy (http://host:port), got "${raw}"`,
  );
  return undefined;
}

function redisUrl(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === 'redis:' || url.protocol === 'rediss:') return raw;
  } catch {
    // reported below
  }
  problems.push(`REDIS_URL must be a redis:// or rediss:// URL, got "${raw}"`);
  return undefined;
}

/** proxy-addr's names for well-known ranges, which Fastify's trustProxy takes too. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxy(raw: string | undefined, problems: string[]): TrustProxy {
  if (raw === undefined || raw.toLowerCase() === 'false') return false;
  if (raw.toLowerCase() === 'true') return true;
  // No hop count: Fastify trusts nothing for one (it cannot tell whether the peer is a proxy).
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const bad = items.filter(
    (item) =>
      !PROXY_RANGE_NAMES.has(item) &&
      !ipaddr.IPv4.isValidFourPartDecimal(item) &&
      !ipaddr.IPv6.isValid(item) &&
      !isValidCidr(item),
  );
  if (items.length > 0 && bad.length === 0) return items;
  problems.push(
    "TRUST_PROXY must be false, true, or a comma-separated list of the proxies' addresses and " +
      `CIDR ranges (or loopback, linklocal, uniquelocal), got "${raw}"`,
  );
  return false;
}
