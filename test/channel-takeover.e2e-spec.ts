import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest, sleep, storedEvents } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

const TOKEN = 'takeover-token';
const STALE_AFTER_MS = 1500;

/**
 * A publish for a channel still believed live, through the generic hook: taken over only when the
 * old publisher is known to be gone. Two media servers are two loopback addresses.
 */
describe.each(databaseKinds())('takeover and revival on %s', (kind) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(kind, {
      INGEST_TOKEN: TOKEN,
      INGEST_STALE_AFTER: `${STALE_AFTER_MS}ms`,
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A hook from the media server at 127.0.0.1, or at 127.0.0.2. */
  const hook = (
    streamKey: string,
    action: 'publish' | 'update' | 'unpublish',
    server: 'first' | 'second' = 'first',
  ) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const url = new URL(`${t.baseUrl}/v1/ingest/events?token=${TOKEN}`);
      const sent = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          localAddress: server === 'second' ? '127.0.0.2' : '127.0.0.1',
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () =>
            resolve({
              status: response.statusCode!,
              body: JSON.parse(text) as Record<string, unknown>,
            }),
          );
        },
      );
      sent.on('error', reject);
      sent.end(JSON.stringify({ streamKey, action }));
    });
  const channel = async (id: string) => (await t.request('GET', `/v1/channel/${id}`)).body;
  const names = async (id: string) => (await storedEvents(t, id)).map((event) => event.name);

  it('refuses a second publisher while the first keeps its heartbeat; the same media server takes the session over once it missed one', async () => {
    const created = await createChannel(t, { reconnectWindow: 60 });
    expect((await hook(created.streamKey, 'publish')).status).toBe(200);
    const live = await channel(created.id);
    // Updates every 300 ms: the session's heartbeat. (Under INGEST_STALE_AFTER: never stale.)
    let lastUpdate = 0;
    for (let i = 0; i < 3; i++) {
      await sleep(300);
      lastUpdate = Date.now();
      expect((await hook(created.streamKey, 'update')).body).toEqual({ outcome: 'live' });
    }
    // A second encoder on the key, through the same media server: the first is still heard.
    const second = await hook(created.streamKey, 'publish');
    expect(second).toMatchObject({ status: 403, body: { message: 'channel is already live' } });
    expect(await names(created.id)).toEqual(['channel_live']);

    // The first publisher is gone without a stop: the media server asks again until it is let in,
    // once the session has missed its heartbeat.
    const answers: number[] = [];
    await eventually(async () => {
      const answer = await hook(created.streamKey, 'publish');
      answers.push(answer.status);
      return answer.status === 200;
    }, 10_000);
    expect(new Set(answers.slice(0, -1))).toEqual(new Set([403]));

    const events = await storedEvents(t, created.id);
    expect(events.map((event) => event.name)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_live',
    ]);
    // Stopped as of when it was last heard (the last update), then back as a reconnect.
    expect(events[1].eventTime).toBeGreaterThanOrEqual(lastUpdate - 50);
    expect(events[1].eventTime).toBeLessThan(events[2].eventTime - 300);
    expect(events[1].body.stoppedAt).toBe(new Date(events[1].eventTime).toISOString());
    expect(new Set(events.map((event) => event.sessionId))).toEqual(new Set([live.sessionId]));
    expect(await channel(created.id)).toMatchObject({
      status: 'live',
      sessionId: live.sessionId,
      liveAt: live.liveAt,
    });
  });

  it('refuses another media server while the session is heard from, and lets it in once the session was silent past INGEST_STALE_AFTER', async () => {
    const created = await createChannel(t, { reconnectWindow: 60 });
    expect((await hook(created.streamKey, 'publish')).status).toBe(200);
    await sleep(300);
    await hook(created.streamKey, 'update');
    await sleep(300);
    await hook(created.streamKey, 'update');
    // Missed its heartbeat by now, but another server asks: it may be cut off from the service.
    await sleep(600);
    expect((await hook(created.streamKey, 'publish', 'second')).status).toBe(403);
    expect(await names(created.id)).toEqual(['channel_live']);

    await eventually(
      async () => (await hook(created.streamKey, 'publish', 'second')).status === 200,
      10_000,
      100,
    );
    const events = await storedEvents(t, created.id);
    expect(events.map((event) => event.name)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_live',
    ]);
    expect(events[2].sessionId).toBe(events[0].sessionId);
    expect((await channel(created.id)).status).toBe('live');
  });

  it('ends the old session and starts a new one when its reconnect window ran out since it was last heard', async () => {
    const created = await createChannel(t, { reconnectWindow: 0 });
    expect((await hook(created.streamKey, 'publish')).status).toBe(200);
    const first = await channel(created.id);
    await sleep(200);
    await hook(created.streamKey, 'update');
    await sleep(200);
    await hook(created.streamKey, 'update');
    await eventually(
      async () => (await hook(created.streamKey, 'publish')).status === 200,
      10_000,
      100,
    );
    const events = await storedEvents(t, created.id);
    // The stale check may have stopped it first; the sequence is the same.
    expect(events.map((event) => event.name)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_ended',
      'channel_live',
    ]);
    expect(events[2].eventTime).toBe(events[1].eventTime);
    expect(events[3].sessionId).not.toBe(first.sessionId);
  });

  it('makes a channel stopped as stale live again, the same session, when its publisher reports in', async () => {
    const created = await createChannel(t, { reconnectWindow: 60 });
    expect((await hook(created.streamKey, 'publish')).status).toBe(200);
    const live = await channel(created.id);
    await eventually(async () => (await channel(created.id)).status === 'stopped', 10_000);
    const stopped = await channel(created.id);
    expect(stopped.stoppedAt).toBe(live.liveAt); // as of when it was last heard: its publish

    expect(await hook(created.streamKey, 'update')).toEqual({
      status: 200,
      body: { outcome: 'live' },
    });
    expect(await channel(created.id)).toMatchObject({
      status: 'live',
      sessionId: live.sessionId,
      liveAt: live.liveAt,
    });
    const events = await storedEvents(t, created.id);
    expect(events.map((event) => [event.name, event.sessionId])).toEqual([
      ['channel_live', live.sessionId],
      ['channel_stop', live.sessionId],
      ['channel_live', live.sessionId],
    ]);
    // Its next updates keep it live, and answer so.
    expect((await hook(created.streamKey, 'update')).body).toEqual({ outcome: 'live' });
  });

  it('does not revive a channel its media server stopped, nor one whose window ran out', async () => {
    const stoppedByServer = await createChannel(t, { reconnectWindow: 60 });
    await ingest(t, stoppedByServer.streamKey, 'publish', TOKEN);
    await ingest(t, stoppedByServer.streamKey, 'unpublish', TOKEN);
    expect((await hook(stoppedByServer.streamKey, 'update')).body).toEqual({
      outcome: 'not-live',
    });
    expect((await channel(stoppedByServer.id)).status).toBe('stopped');

    const ran = await createChannel(t, { reconnectWindow: 0 });
    await ingest(t, ran.streamKey, 'publish', TOKEN);
    await eventually(async () => (await channel(ran.id)).status === 'ended', 10_000);
    expect((await hook(ran.streamKey, 'update')).body).toEqual({ outcome: 'not-live' });
    expect(await names(ran.id)).toEqual(['channel_live', 'channel_stop', 'channel_ended']);
    expect(await names(stoppedByServer.id)).toEqual(['channel_live', 'channel_stop']);
  });
});
