import { afterAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { startDnsServer } from './helpers/dns-server.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createTestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

/** More names that never resolve than libuv's thread pool has threads (4). */
const SILENT_NAMES = [
  'never-0.test',
  'never-1.test',
  'never-2.test',
  'never-3.test',
  'never-4.test',
];
const CHANNELS = 4;

describe.each(databaseKinds())('callback DNS on %s', (kind) => {
  const receivers: Receiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  it('resolves through DNS_SERVERS; names that never resolve delay no one else, and fail with a DNS error', async () => {
    const dns = await startDnsServer({ 'hooks.good.test': '127.0.0.1' }, SILENT_NAMES);
    const receiver = await startReceiver();
    receivers.push(receiver);
    const t = await createTestApp(kind, {
      DNS_SERVERS: dns.address,
      // two tries of 2.5 s: the silent names' lookups last several seconds, and end within the
      // connection's own 10 s bound
      DNS_TIMEOUT: '2500ms',
      DELIVERY_TIMEOUT: '30s',
      DELIVERY_RETRY_SCHEDULE: '10m',
    });
    try {
      const create = async (uri: string) =>
        (await createWebhook(t, { uri, event: 'channel_live' })).id;
      // the silent ones first: they are claimed first
      const silent: string[] = [];
      for (const name of SILENT_NAMES) silent.push(await create(`http://${name}:9/hook`));
      const good = await create(`http://hooks.good.test:${receiver.port}/hook`);

      for (let i = 0; i < CHANNELS; i++) {
        const channel = await createChannel(t);
        expect((await ingest(t, channel.streamKey, 'publish')).status).toBe(200);
      }
      // Every silent name's lookup is under way …
      await eventually(async () =>
        SILENT_NAMES.every((name) => dns.queries.some((query) => query.name === name)),
      );
      // … and the healthy receiver gets all its callbacks meanwhile.
      await eventually(async () => receiver.received.length >= CHANNELS);
      const deliveriesOf = async (id: string) =>
        (await t.request('GET', `/v1/webhook/${id}/deliveries`)).body.data as {
          id: string;
          status: string;
          attempts: number;
          lastError: string | null;
        }[];
      for (const id of silent) {
        const deliveries = await deliveriesOf(id);
        expect(deliveries).toHaveLength(CHANNELS);
        // still failing: no attempt of theirs has ended yet
        expect(deliveries.map((delivery) => delivery.attempts)).toEqual(deliveries.map(() => 0));
      }
      expect(receiver.received.every((request) => request.path === '/hook')).toBe(true);
      expect((await deliveriesOf(good)).map((delivery) => delivery.status)).toEqual(
        Array.from({ length: CHANNELS }, () => 'succeeded'),
      );

      // Then the silent ones fail, their attempts saying why.
      for (const [index, id] of silent.entries()) {
        const failed = await eventually(async () => {
          const deliveries = await deliveriesOf(id);
          return deliveries.every((delivery) => delivery.attempts === 1) ? deliveries : undefined;
        }, 40_000);
        for (const delivery of failed) {
          expect(delivery.status).toBe('pending'); // a retry in 10 minutes
          expect(delivery.lastError).toBe(
            `DNS lookup of ${SILENT_NAMES[index]} failed: no answer from the DNS servers in time (ETIMEOUT)`,
          );
        }
        const detail = (await t.request('GET', `/v1/webhook/${id}/deliveries/${failed[0].id}`))
          .body;
        expect(detail.attempts[0]).toMatchObject({
          statusCode: null,
          error: expect.stringMatching(/^DNS lookup of never-\d\.test failed/),
        });
      }
      // A name the server says does not exist fails at once, as before.
      const missing = await create(`http://missing.good.test:${receiver.port}/hook`);
      await t.request('POST', `/v1/webhook/${missing}/test`);
      const [ping] = await eventually(async () => {
        const deliveries = await deliveriesOf(missing);
        return deliveries[0]?.attempts === 1 ? deliveries : undefined;
      });
      expect(ping.lastError).toBe('host not found');
    } finally {
      await t.close();
      await dns.close();
    }
  }, 120_000);
});
