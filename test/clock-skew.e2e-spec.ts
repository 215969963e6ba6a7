import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { eventually, sleep } from './helpers/channels.js';
import { createTestDatabase, databaseKinds } from './helpers/databases.js';
import { startReceiver } from './helpers/receiver.js';
import { freePort, type SpawnedApp, spawnApp, waitForHttp } from './helpers/spawn-app.js';

const KEY = 'clock-skew-key';
const TOKEN = 'clock-skew-token';
const CHANNELS = 30;

/**
 * Instances whose clocks are ten minutes off either way (libfaketime), on one MySQL: leases and due
 * times come from the database's clock, so none of them sends a retry early, holds one back, or
 * takes over another's lease. Needs `faketime` (Debian's package; CI installs it) with MySQL.
 */
describe.each(databaseKinds().filter((kind) => kind === 'mysql'))(
  'instances with skewed clocks on one %s database',
  (kind) => {
    const cleanup = stepsAfterAll();

    it('retry on schedule, never sent twice after a success, never stalled', async () => {
      const database = await createTestDatabase(kind);
      cleanup.push(() => database.drop());
      // Each message fails its first attempt (500), then succeeds.
      const attempts = new Map<string, number>();
      const receiver = await startReceiver((request) => {
        const id = String(request.headers['webhook-id']);
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
        return attempts.get(id) === 1 ? { status: 500 } : {};
      });
      cleanup.push(() => receiver.close());
      const start = async (offset: string | undefined) => {
        const port = await freePort();
        const app = spawnApp(
          {
            PORT: String(port),
            DATABASE_URL: database.url,
            API_KEYS: KEY,
            INGEST_TOKEN: TOKEN,
            DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
            DELIVERY_TIMEOUT: '2s',
            DELIVERY_RETRY_SCHEDULE: '2s',
            DELIVERY_RETRY_JITTER: '0',
            LOG_LEVEL: 'warn',
          },
          undefined,
          offset ? ['faketime', '-f', offset] : [],
        );
        cleanup.push(async () => {
          app.kill('SIGKILL');
          await app.exited;
        });
        await waitForHttp(`http://127.0.0.1:${port}/health/live`, app);
        return { app, port };
      };
      const exact = await start(undefined);
      const ahead = await start('+10m');
      const behind = await start('-10m');
      const instances: { app: SpawnedApp; port: number }[] = [exact, ahead, behind];

      const api = async (port: number, path: string, body: unknown) =>
        (await (
          await fetch(`http://127.0.0.1:${port}${path}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        ).json()) as Record<string, string>;
      await api(exact.port, '/v1/webhook', { uri: receiver.url, event: 'channel_live' });
      // Channels go live through the skewed instances: they fan out and send first.
      for (let i = 0; i < CHANNELS; i++) {
        const { port } = instances[1 + (i % 2)];
        const channel = await api(port, '/v1/channel', { name: `c${i}` });
        const answer = await fetch(`http://127.0.0.1:${port}/v1/ingest/events?token=${TOKEN}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ streamKey: channel.streamKey, action: 'publish' }),
        });
        expect(answer.status).toBe(200);
      }
      await eventually(
        async () =>
          attempts.size === CHANNELS && [...attempts.values()].every((count) => count >= 2),
        20_000,
        50,
      );
      await sleep(3_000); // a third send (after the success) would show by now

      // Exactly two attempts per message: the failure and, on schedule, the success.
      expect([...attempts.values()]).toEqual(Array(CHANNELS).fill(2));
      const byMessage = new Map<string, number[]>();
      for (const request of receiver.received) {
        const id = String(request.headers['webhook-id']);
        byMessage.set(id, [...(byMessage.get(id) ?? []), request.at]);
      }
      for (const [first, second] of byMessage.values()) {
        // The 2 s wait measured by the database's clock: not skipped by the instance behind,
        // not stretched by the one ahead (its ten minutes would stall it).
        expect(second - first).toBeGreaterThanOrEqual(1_500);
        expect(second - first).toBeLessThan(6_000);
      }
    }, 120_000);
  },
);
