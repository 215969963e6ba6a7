import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel } from './helpers/channels.js';
import { createTestDatabase, databaseKinds } from './helpers/databases.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

/**
 * Rate limits shared through Redis (REDIS_URL) by several instances. Runs when TEST_REDIS_URL names
 * a Redis database this suite may empty (CI: the local Redis, database 15; vitest.e2e.config.ts
 * leaves the file out otherwise); fails if it is set and Redis cannot be reached.
 */
const REDIS_URL = process.env.TEST_REDIS_URL;

describe.each(REDIS_URL ? databaseKinds().slice(-1) : [])('rate limits in Redis (%s)', (kind) => {
  const apps: TestApp[] = [];
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 });
    await redis.flushdb();
    const database = await createTestDatabase(kind);
    const env = {
      API_KEYS: 'shared-key',
      RATE_LIMIT_API: '6/1m',
      INGEST_TOKEN: 'tok',
      RATE_LIMIT_INGEST_DENIALS: '3/1m',
      REDIS_URL: REDIS_URL!,
    };
    // Three instances on one database and one Redis.
    for (let i = 0; i < 3; i++) apps.push(await createTestApp(kind, env, database));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await redis?.quit();
  });

  it('enforces RATE_LIMIT_API once across the instances, not once per instance', async () => {
    const statuses = [];
    for (let i = 0; i < 9; i++)
      statuses.push(
        (await apps[i % 3].request('GET', '/v1/webhook', { apiKey: 'shared-key' })).status,
      );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429]);
    expect((await redis.keys('*')).length).toBeGreaterThan(0);
  });

  it('counts refused ingest hooks across the instances', async () => {
    const nginx = (t: TestApp, name: string) =>
      t.request('POST', '/v1/ingest/nginx-rtmp/publish?token=tok', {
        rawBody: new URLSearchParams({ call: 'publish', name, addr: '203.0.113.77' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        apiKey: false,
      });
    // three guesses, one through each instance: the limit is reached
    for (let i = 0; i < 3; i++) expect((await nginx(apps[i], `guess-${i}`)).status).toBe(403);
    const channel = await createChannel(apps[0]);
    // the instance that saw the last allowed denial blocks the publisher at once, a real key too
    expect((await nginx(apps[2], channel.streamKey)).status).toBe(429);
    // another instance finds the shared count past the limit at its next denial (one per
    // instance per window, where one instance alone would allow none)
    expect((await nginx(apps[1], 'guess-4')).status).toBe(403);
    expect((await nginx(apps[1], channel.streamKey)).status).toBe(429);
    expect((await nginx(apps[0], 'guess-5')).status).toBe(403);
    expect((await nginx(apps[0], channel.streamKey)).status).toBe(429);
  });
});
