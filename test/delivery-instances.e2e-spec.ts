import { describe, expect, it } from 'vitest';
import { DeliverySender } from '../src/delivery/delivery.sender.js';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { createTestDatabase, databaseKinds } from './helpers/databases.js';
import { startReceiver } from './helpers/receiver.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

const CHANNELS = 500; // × (publish, unpublish) = 1,000 events

/** Counts the attempts an instance sends, to show both shared the work. */
function countSends(t: TestApp): () => number {
  const sender = t.app.get(DeliverySender);
  const send = sender.send.bind(sender);
  let count = 0;
  sender.send = (message) => {
    count++;
    return send(message);
  };
  return () => count;
}

// Several instances share one MySQL; SQLite is one process by design.
describe.each(databaseKinds().filter((kind) => kind === 'mysql'))(
  'two instances on one %s',
  (kind) => {
    it('deliver 1,000 events with none lost, none sent twice, and each channel in order', async () => {
      const receiver = await startReceiver();
      const database = await createTestDatabase(kind);
      const a = await createTestApp(kind, {}, database);
      const b = await createTestApp(kind, {}, database);
      try {
        const sentByA = countSends(a);
        const sentByB = countSends(b);
        await createWebhook(a, { uri: receiver.url });
        const channels = [];
        for (let i = 0; i < CHANNELS; i++)
          channels.push(await createChannel(i % 2 ? a : b, { name: `c${i}` }));
        // hooks land on both instances, a few at a time
        for (let i = 0; i < CHANNELS; i += 10) {
          await Promise.all(
            channels.slice(i, i + 10).map(async (channel, j) => {
              const first = (i + j) % 2 ? a : b;
              const second = (i + j) % 3 ? b : a;
              await ingest(first, channel.streamKey, 'publish');
              await ingest(second, channel.streamKey, 'unpublish');
            }),
          );
        }
        await eventually(async () => receiver.received.length >= 2 * CHANNELS, 60_000, 200);
        await new Promise((resolve) => setTimeout(resolve, 1500)); // anything sent twice would show by now
        expect(receiver.received).toHaveLength(2 * CHANNELS);
        const ids = new Set(receiver.received.map((request) => request.headers['webhook-id']));
        expect(ids.size).toBe(2 * CHANNELS);
        const byChannel = new Map<string, string[]>();
        for (const request of receiver.received) {
          byChannel.set(request.json.id, [
            ...(byChannel.get(request.json.id) ?? []),
            request.json.event,
          ]);
        }
        expect(byChannel.size).toBe(CHANNELS);
        for (const events of byChannel.values())
          expect(events).toEqual(['channel_live', 'channel_stop']);
        expect(sentByA()).toBeGreaterThan(0);
        expect(sentByB()).toBeGreaterThan(0);
        // an attempt can fail on a keep-alive socket the receiver just closed, and be retried
        expect(sentByA() + sentByB()).toBeGreaterThanOrEqual(2 * CHANNELS);
      } finally {
        await b.close({ keepDatabase: true });
        await a.close();
        await receiver.close();
      }
    });
  },
);
