import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { createTestDatabase, databaseKinds } from './helpers/databases.js';
import { httpApi } from './helpers/http-api.js';
import { startReceiver } from './helpers/receiver.js';
import { freePort, logLinesAtOrAbove, type SpawnedApp, startApp } from './helpers/spawn-app.js';
import { createWebhook } from './helpers/webhooks.js';

const KEY = 'three-instances-key';
const TOKEN = 'three-instances-token';
const CHANNELS = 150;
const WEBHOOKS = 2;

// Several instances share one MySQL; SQLite is one process by design.
describe.each(databaseKinds().filter((kind) => kind === 'mysql'))(
  'three instances on one %s database',
  (kind) => {
    const cleanup = stepsAfterAll();

    it('one SIGKILLed twice mid-delivery: nothing lost, every line in order, no error logged', async () => {
      const database = await createTestDatabase(kind);
      cleanup.push(() => database.drop());
      const receiver = await startReceiver(() => ({ delayMs: 100 }));
      cleanup.push(() => receiver.close());
      const outputs: string[] = [];
      const apps: SpawnedApp[] = [];
      const start = async (port: number) => {
        const app = await startApp(database.url, port, {
          API_KEYS: KEY,
          INGEST_TOKEN: TOKEN,
          DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
          DELIVERY_TIMEOUT: '2s',
          NODE_ENV: 'production',
          RATE_LIMIT_API: '100000/1m',
        });
        apps.push(app);
        return app;
      };
      cleanup.push(async () => {
        for (const app of apps) app.kill('SIGKILL');
        await Promise.all(apps.map((app) => app.exited));
      });
      const ports = [await freePort(), await freePort(), await freePort()];
      // Migrations run once, by the first; the others find them applied.
      const first = await start(ports[0]);
      // Named by the port each was started on: `apps` holds them in the order they came up.
      const [second, third] = await Promise.all([start(ports[1]), start(ports[2])]);
      const survivors = [first, second];
      let victim = third;

      const apis = ports.map((port) => httpApi(`http://127.0.0.1:${port}`, KEY));
      for (let i = 0; i < WEBHOOKS; i++) {
        await createWebhook(apis[0], { uri: `${receiver.url}?w=${i}` });
      }
      const channels: { streamKey: string }[] = [];
      for (let i = 0; i < CHANNELS; i++) {
        channels.push(await createChannel(apis[i % 3], { name: `c${i}` }));
      }
      /**
       * A hook as a media server would send it, again until an instance answers. A publish that
       * the killed instance applied but did not answer finds the channel live when sent again.
       */
      const hook = async (instance: number, streamKey: string, action: 'publish' | 'unpublish') => {
        for (let again = false; ; again = true) {
          const answer = await ingest(apis[instance], streamKey, action, TOKEN).catch(
            () => undefined,
          );
          if (answer) {
            expect(again ? [200, 403] : [200], `${action} ${streamKey}: ${answer.text}`).toContain(
              answer.status,
            );
            return;
          }
          await sleep(100);
        }
      };
      const expected = CHANNELS * 2 * WEBHOOKS;
      // Hooks to all three (the victim included, while it is up): each fans out what it takes,
      // written already leased to itself, so the victim holds work when it is killed.
      const hooks = (async () => {
        for (let i = 0; i < CHANNELS; i += 10) {
          await Promise.all(
            channels.slice(i, i + 10).map(async (channel, j) => {
              await hook(2, channel.streamKey, 'publish');
              await hook(j % 2, channel.streamKey, 'unpublish');
            }),
          );
        }
      })();

      // A hook answered otherwise than expected ends the hooks: say so at once, not as a stall.
      const hooksFailed = hooks.then(
        () => new Promise<never>(() => undefined),
        (error: unknown) => Promise.reject(error as Error),
      );
      for (const share of [0.25, 0.6]) {
        await Promise.race([
          eventually(async () => receiver.received.length >= expected * share, 60_000, 5),
          hooksFailed,
        ]);
        outputs.push(victim.output());
        victim.kill('SIGKILL');
        await victim.exited;
        // Back on a new port: the old one may have gone meanwhile, as the local port of another
        // process's outgoing connection, and listening there would fail with EADDRINUSE.
        ports[2] = await freePort();
        victim = await start(ports[2]);
        apis[2] = httpApi(`http://127.0.0.1:${ports[2]}`, KEY);
      }
      await hooks;
      await eventually(
        async () => new Set(receiver.received.map((r) => r.headers['webhook-id'])).size >= expected,
        60_000,
        50,
      );
      await sleep(1_500);

      // Nothing lost.
      const ids = new Set(receiver.received.map((request) => request.headers['webhook-id']));
      expect(ids.size).toBe(expected);
      // Each (webhook, channel) line in order: live before stop. A re-send of what the killed
      // instance had in flight repeats the same message, never one behind a later one.
      const lines = new Map<string, string[]>();
      for (const request of receiver.received) {
        const line = `${request.path} ${request.json.id}`;
        const events = lines.get(line) ?? [];
        if (events[events.length - 1] !== request.json.event) events.push(request.json.event);
        lines.set(line, events);
      }
      expect(lines.size).toBe(CHANNELS * WEBHOOKS);
      for (const events of lines.values()) expect(events).toEqual(['channel_live', 'channel_stop']);
      const resent = receiver.received.length - expected;
      console.log(`three instances: ${expected} callbacks, ${resent} re-sent after the kills`);

      // No error logged by any instance, the killed one included.
      outputs.push(...survivors.map((app) => app.output()), victim.output());
      expect(outputs.flatMap((output) => logLinesAtOrAbove(output, 50))).toEqual([]);
    }, 180_000);
  },
);
