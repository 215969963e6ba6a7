import { once } from 'node:events';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { stepsAfterAll } from './helpers/cleanup.js';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

const CHANNELS = 400;

/**
 * A receiver that answers one request per connection, as if keeping it alive (no `Connection:
 * close`), and hangs up when a second request comes on it without reading it: a server that
 * closed an idle connection just as the client reused it. `reset` hangs up with an RST, otherwise
 * with a FIN. Counts the requests it answered.
 */
async function oneRequestPerConnection(hangUp: 'reset' | 'close') {
  let answered = 0;
  const server: NetServer = createNetServer((socket) => {
    let buffered = Buffer.alloc(0);
    let served = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      if (served) {
        if (hangUp === 'reset') socket.resetAndDestroy();
        else socket.destroy();
        return;
      }
      buffered = Buffer.concat([buffered, chunk]);
      const head = buffered.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = Number(
        /content-length: *(\d+)/i.exec(buffered.subarray(0, head).toString())?.[1] ?? 0,
      );
      if (buffered.length < head + 4 + length) return;
      served = true;
      answered++;
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    answered: () => answered,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe.each(databaseKinds())('receivers that close kept-alive sockets, on %s', (kind) => {
  const cleanup = stepsAfterAll();

  it('1,600 callbacks: no attempt is lost to a stale pooled connection', async () => {
    const t: TestApp = await createTestApp(kind);
    cleanup.push(() => t.close());
    const receivers = [
      await oneRequestPerConnection('reset'),
      await oneRequestPerConnection('close'),
    ];
    for (const receiver of receivers) cleanup.push(() => receiver.close());
    const hooks: string[] = [];
    for (const receiver of receivers) {
      hooks.push((await createWebhook(t, { uri: receiver.url })).id);
    }
    const channels = [];
    for (let i = 0; i < CHANNELS; i++) channels.push(await createChannel(t, { name: `c${i}` }));
    for (let i = 0; i < CHANNELS; i += 20) {
      await Promise.all(
        channels.slice(i, i + 20).map(async (channel) => {
          await ingest(t, channel.streamKey, 'publish');
          await ingest(t, channel.streamKey, 'unpublish');
        }),
      );
    }
    const expected = CHANNELS * 2;
    for (const id of hooks) {
      const path = `/v1/webhook/${id}/deliveries?status=succeeded&length=100`;
      await eventually(
        async () => (await t.request('GET', `${path}&page=0`)).body.total >= expected,
        60_000,
      );
      // Every delivery succeeded at its first attempt: none failed for a closed socket.
      const retried = [];
      for (let page = 0; page * 100 < expected; page++) {
        const { data } = (await t.request('GET', `${path}&page=${page}`)).body as {
          data: { id: string; attempts: number }[];
        };
        retried.push(...data.filter((delivery) => delivery.attempts !== 1));
      }
      expect(retried).toEqual([]);
    }
    expect(receivers.map((receiver) => receiver.answered())).toEqual([expected, expected]);
  }, 120_000);
});
