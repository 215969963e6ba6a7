import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './helpers/databases.js';
import { httpApi, type Requester } from './helpers/http-api.js';
import { startReceiver } from './helpers/receiver.js';
import {
  apiOf,
  channelEvents,
  exitWithin,
  freePort,
  type SpawnedApp,
  startApp,
  stopStep,
} from './helpers/spawn-app.js';
import { createWebhook } from './helpers/webhooks.js';

const KEY = 'restart-test-key';
const STALE_AFTER_MS = 3_000;

function start(database: TestDatabase, port: number): Promise<SpawnedApp> {
  return startApp(database.url, port, {
    API_KEYS: KEY,
    INGEST_STALE_AFTER: `${STALE_AFTER_MS}ms`,
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
  });
}

interface Answer {
  /** When the update was sent, and when its answer (or failure) came. */
  sentAt: number;
  at: number;
  outcome: string;
}

/**
 * A media server that keeps its publisher through updates nobody answers (the generic hook's
 * `update` every 400 ms), for as long as `running` says.
 */
function simulatedPublisher(service: Requester, streamKey: string) {
  const answers: Answer[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const sentAt = Date.now();
      try {
        const response = await ingest(service, streamKey, 'update');
        const body = response.body as { outcome?: string } | undefined;
        const outcome = body?.outcome ?? `status ${response.status}`;
        answers.push({ sentAt, at: Date.now(), outcome });
      } catch {
        answers.push({ sentAt, at: Date.now(), outcome: 'unreachable' });
      }
      await sleep(400);
    }
  })();
  return {
    answers,
    /** The last update answered live. */
    lastHeard: () => answers.findLast((answer) => answer.outcome === 'live'),
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * The service is stopped for longer than INGEST_STALE_AFTER while its channels are live, then
 * started again: a publisher that kept sending updates is not stopped; one that went away while
 * the service was down is stopped once the service has been up for INGEST_STALE_AFTER, as of
 * when it was last heard.
 */
describe.each(databaseKinds())('a restart after downtime past INGEST_STALE_AFTER on %s', (kind) => {
  const cleanup = stepsAfterAll();

  it('sends no false stop, and stops the publisher that did not come back once the grace is over', async () => {
    const database = await createTestDatabase(kind);
    cleanup.push(() => database.drop());
    const receiver = await startReceiver();
    cleanup.push(() => receiver.close());
    const port = await freePort();
    const first = await start(database, port);
    cleanup.push(async () => first.kill('SIGKILL'));

    const api = apiOf(port, KEY);
    const service = httpApi(`http://127.0.0.1:${port}`, KEY);
    const events = (id: string) => channelEvents(api, id);

    await createWebhook(service, { uri: receiver.url });
    const kept = await createChannel(service, { name: 'kept', reconnectWindow: 60 });
    const gone = await createChannel(service, { name: 'gone', reconnectWindow: 60 });
    expect((await ingest(service, kept.streamKey, 'publish')).status).toBe(200);
    expect((await ingest(service, gone.streamKey, 'publish')).status).toBe(200);
    const keptPublisher = simulatedPublisher(service, kept.streamKey);
    cleanup.push(() => keptPublisher.stop());
    const gonePublisher = simulatedPublisher(service, gone.streamKey);
    await eventually(async () => gonePublisher.answers.length >= 3, 10_000);

    // The service goes away; the second publisher with it, for good.
    first.kill('SIGTERM');
    expect(await exitWithin(first)).toBe(0);
    await gonePublisher.stop();
    const goneLastHeard = gonePublisher.lastHeard();
    await sleep(STALE_AFTER_MS + 2_000); // down for longer than INGEST_STALE_AFTER
    expect(keptPublisher.answers.at(-1)?.outcome).toBe('unreachable');

    const restartedAt = Date.now();
    const second = await start(database, port);
    cleanup.push(stopStep(second));

    // The publisher that did not come back is stopped once the service has been up for
    // INGEST_STALE_AFTER, as of when it was last heard.
    await eventually(
      async () => (await api('GET', `/v1/channel/${gone.id}`)).status === 'stopped',
      30_000,
    );
    const goneEvents = await events(gone.id);
    expect(goneEvents.map(([name]) => name)).toEqual(['channel_live', 'channel_stop']);
    expect(goneEvents[1][1]).toBeGreaterThanOrEqual(goneLastHeard!.sentAt);
    expect(goneEvents[1][1]).toBeLessThanOrEqual(goneLastHeard!.at);

    // The one that kept sending updates was never stopped, and every update it sent to the
    // restarted service was answered live.
    expect((await api('GET', `/v1/channel/${kept.id}`)).status).toBe('live');
    expect((await events(kept.id)).map(([name]) => name)).toEqual(['channel_live']);
    const afterRestart = keptPublisher.answers.filter(
      (answer) => answer.at > restartedAt && answer.outcome !== 'unreachable',
    );
    expect(afterRestart.length).toBeGreaterThan(3);
    expect(new Set(afterRestart.map((answer) => answer.outcome))).toEqual(new Set(['live']));

    // What subscribers got: kept went live once; gone went live and stopped.
    await eventually(async () => receiver.received.length >= 3, 10_000);
    const received = receiver.received.map((request) => [request.json.event, request.json.name]);
    expect(received).toHaveLength(3);
    expect(received).toEqual(
      expect.arrayContaining([
        ['channel_live', 'kept'],
        ['channel_live', 'gone'],
        ['channel_stop', 'gone'],
      ]),
    );
  }, 120_000);
});
