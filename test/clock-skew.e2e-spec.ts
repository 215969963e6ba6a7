import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { createTestDatabase, databaseKinds } from './helpers/databases.js';
import { httpApi } from './helpers/http-api.js';
import { startReceiver } from './helpers/receiver.js';
import {
  apiOf,
  channelEvents,
  freePort,
  killStep,
  type SpawnedApp,
  startApp,
} from './helpers/spawn-app.js';
import { createWebhook } from './helpers/webhooks.js';

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
    /** An instance whose clock is `offset` off (faketime's syntax), killed when the suite ends. */
    const startInstance = async (
      databaseUrl: string,
      offset: string | undefined,
      env: Record<string, string>,
    ) => {
      const port = await freePort();
      const app = await startApp(
        databaseUrl,
        port,
        { API_KEYS: KEY, INGEST_TOKEN: TOKEN, ...env },
        offset ? ['faketime', '-f', offset] : [],
      );
      cleanup.push(killStep(app));
      return { app, port };
    };

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
      const start = (offset?: string) =>
        startInstance(database.url, offset, {
          DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
          DELIVERY_TIMEOUT: '2s',
          DELIVERY_RETRY_SCHEDULE: '2s',
          DELIVERY_RETRY_JITTER: '0',
        });
      const exact = await start(undefined);
      const ahead = await start('+10m');
      const behind = await start('-10m');
      const instances: { app: SpawnedApp; port: number }[] = [exact, ahead, behind];

      const service = (port: number) => httpApi(`http://127.0.0.1:${port}`, KEY);
      await createWebhook(service(exact.port), { uri: receiver.url, event: 'channel_live' });
      // Channels go live through the skewed instances: they fan out and send first.
      for (let i = 0; i < CHANNELS; i++) {
        const skewed = service(instances[1 + (i % 2)].port);
        const channel = await createChannel(skewed, { name: `c${i}` });
        expect((await ingest(skewed, channel.streamKey, 'publish', TOKEN)).status).toBe(200);
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
      // The 2 s wait measured by the database's clock: not skipped by the instance behind; not
      // stretched by the one ahead either, or its ten minutes would have kept the second attempts
      // from coming within the wait above.
      for (const [first, second] of byMessage.values())
        expect(second - first).toBeGreaterThanOrEqual(1_500);
    }, 120_000);

    it('stop stale channels and end reconnect windows by the database clock, stamping events with it', async () => {
      const database = await createTestDatabase(kind);
      cleanup.push(() => database.drop());
      const start = async (offset?: string) =>
        (await startInstance(database.url, offset, { INGEST_STALE_AFTER: '3s' })).port;
      const exact = await start(undefined);
      const ahead = await start('+10m');
      const behind = await start('-10m');
      const api = apiOf(exact, KEY);
      const hook = async (
        port: number,
        streamKey: string,
        action: 'publish' | 'unpublish' | 'update',
      ) => {
        const answer = await ingest(httpApi(`http://127.0.0.1:${port}`), streamKey, action, TOKEN);
        return (answer.body as { outcome: string }).outcome;
      };
      const events = (id: string) => channelEvents(api, id);

      // Heard: published through the instance ahead, updated through the one behind, every 500 ms.
      const heard = await api('POST', '/v1/channel', { name: 'heard', reconnectWindow: 60 });
      expect(await hook(ahead, heard.streamKey, 'publish')).toBe('live');
      let updating = true;
      const answers: string[] = [];
      const updates = (async () => {
        while (updating) {
          answers.push(await hook(behind, heard.streamKey, 'update'));
          await sleep(500);
        }
      })();
      cleanup.push(() => ((updating = false), updates));
      // Silent: published through the instance behind, never updated.
      const silent = await api('POST', '/v1/channel', { name: 'silent', reconnectWindow: 60 });
      const silentSent = Date.now();
      expect(await hook(behind, silent.streamKey, 'publish')).toBe('live');
      const silentAnswered = Date.now();
      // Windowed: stopped through the instance behind, with a 3 s window.
      const windowed = await api('POST', '/v1/channel', { name: 'windowed', reconnectWindow: 3 });
      await hook(behind, windowed.streamKey, 'publish');
      const stopSent = Date.now();
      expect(await hook(behind, windowed.streamKey, 'unpublish')).toBe('stopped');
      const stopAnswered = Date.now();

      await eventually(
        async () => (await api('GET', `/v1/channel/${windowed.id}`)).status === 'ended',
        20_000,
      );
      await eventually(
        async () => (await api('GET', `/v1/channel/${silent.id}`)).status === 'stopped',
        20_000,
      );
      await sleep(2_000); // the scans of all three instances have run over the heard channel by now
      updating = false;
      await updates;

      // Times are the database's (on this machine's clock): the instance behind stamped neither
      // ten minutes early, but between the hook's sending and its answer.
      const [, windowStop, windowEnd] = await events(windowed.id);
      expect(windowStop[0]).toBe('channel_stop');
      expect(windowStop[1]).toBeGreaterThanOrEqual(stopSent);
      expect(windowStop[1]).toBeLessThanOrEqual(stopAnswered);
      // Ended when its window ran out by the database's clock, not by the instance ahead's.
      expect(windowEnd).toEqual(['channel_ended', windowStop[1] + 3_000]);
      const [silentLive, silentStop] = await events(silent.id);
      expect(silentStop).toEqual(['channel_stop', silentLive[1]]);
      expect(silentLive[1]).toBeGreaterThanOrEqual(silentSent);
      expect(silentLive[1]).toBeLessThanOrEqual(silentAnswered);
      // The instance ahead did not take ten minutes of silence from its own clock.
      expect((await events(heard.id)).map(([name]) => name)).toEqual(['channel_live']);
      expect(new Set(answers)).toEqual(new Set(['live']));
    }, 120_000);
  },
);
