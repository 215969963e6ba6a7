import { EventEmitter2 } from '@nestjs/event-emitter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelLifecycleService } from '../src/channel/channel-lifecycle.service.js';
import { type ChannelEventRecorded, topicOf } from '../src/channel-events/channel-events.js';
import { createChannel, eventually, ingest, sleep, storedEvents } from './helpers/channels.js';
import { createTestDatabase, databaseKinds } from './helpers/databases.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

const TOKEN = 'ingest-secret-token';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe.each(databaseKinds())('channel lifecycle on %s', (kind) => {
  let t: TestApp;
  const emitted: ChannelEventRecorded[] = [];

  beforeAll(async () => {
    t = await createTestApp(kind, { INGEST_TOKEN: TOKEN });
    const emitter = t.app.get(EventEmitter2);
    for (const name of ['channel_live', 'channel_stop', 'channel_ended'] as const) {
      emitter.on(topicOf(name), (payload: ChannelEventRecorded) => emitted.push(payload));
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  const nginx = (
    route: 'publish' | 'publish_done',
    fields: Record<string, string>,
    token: string | null = TOKEN,
  ) =>
    t.request('POST', `/v1/ingest/nginx-rtmp/${route}${token === null ? '' : `?token=${token}`}`, {
      rawBody: form(fields),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      apiKey: false,
    });
  const srs = (body: unknown, token: string | null = TOKEN) =>
    t.request('POST', `/v1/ingest/srs${token === null ? '' : `?token=${token}`}`, {
      body,
      apiKey: false,
    });
  const channel = async (id: string) => (await t.request('GET', `/v1/channel/${id}`)).body;

  it('goes idle → live → stopped → live (same session) → stopped → ended, one event row per transition', async () => {
    const created = await createChannel(t, { reconnectWindow: 1 });
    const live = await nginx('publish', {
      call: 'publish',
      name: created.streamKey,
      app: 'live',
      addr: '127.0.0.1',
      clientid: '1',
    });
    expect(live.status).toBe(200);
    const first = await channel(created.id);
    expect(first).toMatchObject({
      status: 'live',
      sessionId: expect.any(String),
      liveAt: expect.any(String),
      stoppedAt: null,
    });

    const stop = await nginx('publish_done', {
      call: 'publish_done',
      name: created.streamKey,
      app: 'live',
    });
    expect(stop.status).toBe(200);
    const stopped = await channel(created.id);
    expect(stopped).toMatchObject({
      status: 'stopped',
      sessionId: first.sessionId,
      stoppedAt: expect.any(String),
    });

    expect((await nginx('publish', { call: 'publish', name: created.streamKey })).status).toBe(200);
    const back = await channel(created.id);
    expect(back).toMatchObject({
      status: 'live',
      sessionId: first.sessionId,
      liveAt: first.liveAt,
    });

    await nginx('publish_done', { call: 'publish_done', name: created.streamKey });
    const ended = await eventually(async () => {
      const now = await channel(created.id);
      return now.status === 'ended' ? now : undefined;
    });
    const events = await storedEvents(t, created.id);
    expect(events.map((event) => event.name)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_live',
      'channel_stop',
      'channel_ended',
    ]);
    expect(new Set(events.map((event) => event.sessionId))).toEqual(new Set([first.sessionId]));
    // the window ran out exactly reconnectWindow after the last stop
    expect(events[4].eventTime).toBe(events[3].eventTime + 1000);
    expect(ended.endedAt).toBe(new Date(events[4].eventTime).toISOString());
    // each snapshot is the channel as GET returned it right after that transition
    expect(events[0].body).toEqual({
      event: 'channel_live',
      eventTime: events[0].eventTime,
      sequence: 1,
      ...first,
    });
    expect(events[1].body).toEqual({
      event: 'channel_stop',
      eventTime: events[1].eventTime,
      sequence: 2,
      ...stopped,
    });
    expect(events[2].body).toEqual({
      event: 'channel_live',
      eventTime: events[2].eventTime,
      sequence: 3,
      ...back,
    });
    expect(events[4].body).toEqual({
      event: 'channel_ended',
      eventTime: events[4].eventTime,
      sequence: 5,
      ...ended,
    });
    for (const event of events) {
      expect(Math.abs(event.eventTime - Date.now())).toBeLessThan(60_000);
      expect(Number.isInteger(event.eventTime)).toBe(true);
    }

    // a new session after the end gets a new session id
    expect((await ingest(t, created.streamKey, 'publish', TOKEN)).status).toBe(200);
    const again = await channel(created.id);
    expect(again.sessionId).not.toBe(first.sessionId);
    expect(again).toMatchObject({ status: 'live', stoppedAt: null, endedAt: ended.endedAt });
  });

  it('emits each recorded event in-process after the commit, with the typed payload', async () => {
    const created = await createChannel(t);
    await ingest(t, created.streamKey, 'publish', TOKEN);
    await ingest(t, created.streamKey, 'unpublish', TOKEN);
    await t.request('POST', `/v1/channel/${created.id}/end`);
    const stored = await storedEvents(t, created.id);
    const mine = emitted.filter((event) => event.channelId === created.id);
    expect(mine).toEqual(
      stored.map((event) => ({
        eventId: event.id,
        name: event.name,
        channelId: created.id,
        sessionId: event.sessionId,
        eventTime: event.eventTime,
        body: event.rawBody,
        // tracing is off
        traceParent: null,
      })),
    );
  });

  it('refuses a second publisher and a repeated publish hook, changing nothing', async () => {
    const created = await createChannel(t);
    expect((await ingest(t, created.streamKey, 'publish', TOKEN)).status).toBe(200);
    const before = await channel(created.id);
    const second = await nginx('publish', { call: 'publish', name: created.streamKey });
    expect(second.status).toBe(403);
    expect(second.body).toMatchObject({ statusCode: 403, message: 'channel is already live' });
    expect((await ingest(t, created.streamKey, 'publish', TOKEN)).status).toBe(403);
    const srsDenied = await srs({ action: 'on_publish', stream: created.streamKey, app: 'live' });
    expect(srsDenied.status).toBe(403);
    expect(srsDenied.body.code).not.toBe(0);
    expect(await channel(created.id)).toEqual(before);
    expect((await storedEvents(t, created.id)).map((event) => event.name)).toEqual([
      'channel_live',
    ]);
  });

  it('lets the key a session was published with stop it after a rotation; publishing needs the new key', async () => {
    const created = await createChannel(t);
    const old = created.streamKey;
    expect((await nginx('publish', { name: old })).status).toBe(200);
    const rotated = await t.request('POST', `/v1/channel/${created.id}/stream-key`);
    expect(rotated.status).toBe(200);
    const current = rotated.body.streamKey as string;
    expect(current).not.toBe(old);
    // The media server ends the session it started, with the key it started it with.
    expect((await nginx('publish_done', { name: old })).body).toEqual({ outcome: 'stopped' });
    expect((await channel(created.id)).status).toBe('stopped');
    // The old key no longer publishes, not even to reconnect within the window.
    expect((await nginx('publish', { name: old })).status).toBe(403);
    expect((await channel(created.id)).status).toBe('stopped');
    expect((await nginx('publish', { name: current })).status).toBe(200);
    expect((await channel(created.id)).status).toBe('live');
    // A new session published with the new key is not stopped by the old one.
    expect((await nginx('publish_done', { name: current })).body).toEqual({ outcome: 'stopped' });
    await t.request('POST', `/v1/channel/${created.id}/end`);
    expect((await nginx('publish', { name: current })).status).toBe(200);
    expect((await nginx('publish_done', { name: old })).body).toEqual({ outcome: 'unknown-key' });
    expect((await channel(created.id)).status).toBe('live');
  });

  it('ignores repeated and late unpublish hooks', async () => {
    const created = await createChannel(t);
    expect((await nginx('publish_done', { name: created.streamKey })).body).toEqual({
      outcome: 'not-live',
    });
    await ingest(t, created.streamKey, 'publish', TOKEN);
    await ingest(t, created.streamKey, 'unpublish', TOKEN);
    const repeated = await ingest(t, created.streamKey, 'unpublish', TOKEN);
    expect(repeated.status).toBe(200);
    expect(repeated.body).toEqual({ outcome: 'not-live' });
    await t.request('POST', `/v1/channel/${created.id}/end`);
    const ended = await channel(created.id);
    const late = await nginx('publish_done', { call: 'publish_done', name: created.streamKey });
    expect(late.status).toBe(200);
    expect(await channel(created.id)).toEqual(ended);
    expect((await storedEvents(t, created.id)).map((event) => event.name)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_ended',
    ]);
  });

  it('speaks SRS: {"code":0} allows on_publish and records on_unpublish', async () => {
    const created = await createChannel(t);
    const publish = await srs({
      action: 'on_publish',
      client_id: '341w361a',
      ip: '127.0.0.1',
      vhost: '__defaultVhost__',
      app: 'live',
      stream: created.streamKey,
      param: '?token=abc',
      server_id: 'vid-0xk989d',
      stream_url: `/live/${created.streamKey}`,
    });
    expect(publish.status).toBe(200);
    expect(publish.body).toEqual({ code: 0 });
    expect((await channel(created.id)).status).toBe('live');
    const unpublish = await srs({ action: 'on_unpublish', stream: created.streamKey, app: 'live' });
    expect(unpublish.body).toEqual({ code: 0 });
    expect((await channel(created.id)).status).toBe('stopped');
  });

  it('ends a window that ran out before the scan found it when the publisher comes back, then starts a new session', async () => {
    const created = await createChannel(t, { reconnectWindow: 30 });
    await ingest(t, created.streamKey, 'publish', TOKEN);
    await ingest(t, created.streamKey, 'unpublish', TOKEN);
    const stopped = await channel(created.id);
    const lifecycle = t.app.get(ChannelLifecycleService);
    const later = new Date(Date.parse(stopped.stoppedAt) + 31_000);
    expect((await lifecycle.publish(created.streamKey, { at: later })).outcome).toBe('live');
    const events = await storedEvents(t, created.id);
    expect(events.map((event) => event.name)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_ended',
      'channel_live',
    ]);
    expect(events[2].eventTime).toBe(Date.parse(stopped.stoppedAt) + 30_000);
    expect(events[3].sessionId).not.toBe(events[0].sessionId);
  });

  it('lets exactly one of many concurrent publish hooks through: one live, one event row', async () => {
    const created = await createChannel(t);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 3 === 0
          ? nginx('publish', { call: 'publish', name: created.streamKey })
          : i % 3 === 1
            ? ingest(t, created.streamKey, 'publish', TOKEN)
            : srs({ action: 'on_publish', stream: created.streamKey }),
      ),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 403)).toHaveLength(11);
    expect((await storedEvents(t, created.id)).map((event) => event.name)).toEqual([
      'channel_live',
    ]);
    const stops = await Promise.all(
      Array.from({ length: 8 }, () => ingest(t, created.streamKey, 'unpublish', TOKEN)),
    );
    expect(stops.filter((answer) => answer.body.outcome === 'stopped')).toHaveLength(1);
    expect((await storedEvents(t, created.id)).map((event) => event.name)).toEqual([
      'channel_live',
      'channel_stop',
    ]);
  });

  describe('bad input answers 4xx and changes nothing', () => {
    it.each([
      ['generic: unknown key', () => ingest(t, 'no-such-key', 'publish', TOKEN), 403],
      [
        'generic: missing streamKey',
        () =>
          t.request('POST', `/v1/ingest/events?token=${TOKEN}`, {
            body: { action: 'publish' },
            apiKey: false,
          }),
        400,
      ],
      [
        'generic: unknown action',
        () =>
          t.request('POST', `/v1/ingest/events?token=${TOKEN}`, {
            body: { streamKey: 'k', action: 'start' },
            apiKey: false,
          }),
        400,
      ],
      [
        'generic: unknown field',
        () =>
          t.request('POST', `/v1/ingest/events?token=${TOKEN}`, {
            body: { streamKey: 'k', action: 'publish', x: 1 },
            apiKey: false,
          }),
        400,
      ],
      [
        'generic: malformed JSON',
        () =>
          t.request('POST', `/v1/ingest/events?token=${TOKEN}`, {
            rawBody: '{"streamKey":',
            headers: { 'content-type': 'application/json' },
            apiKey: false,
          }),
        400,
      ],
      ['generic: no token', () => ingest(t, 'k', 'publish'), 401],
      ['generic: wrong token', () => ingest(t, 'k', 'publish', 'wrong'), 401],
      ['nginx: unknown key', () => nginx('publish', { call: 'publish', name: 'no-such-key' }), 403],
      ['nginx: missing name', () => nginx('publish', { call: 'publish', app: 'live' }), 400],
      ['nginx: wrong call', () => nginx('publish', { call: 'play', name: 'k' }), 400],
      ['nginx: no token', () => nginx('publish', { call: 'publish', name: 'k' }, null), 401],
      [
        'nginx: wrong token',
        () => nginx('publish_done', { call: 'publish_done', name: 'k' }, 'nope'),
        401,
      ],
      [
        'nginx: an API key instead of the token',
        () =>
          t.request('POST', '/v1/ingest/nginx-rtmp/publish', {
            rawBody: 'name=k',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
        401,
      ],
      ['srs: unknown key', () => srs({ action: 'on_publish', stream: 'no-such-key' }), 403],
      ['srs: unknown action', () => srs({ action: 'on_play', stream: 'k' }), 400],
      ['srs: missing stream', () => srs({ action: 'on_publish' }), 400],
      ['srs: wrong token', () => srs({ action: 'on_publish', stream: 'k' }, 'nope'), 401],
      [
        'srs: malformed JSON',
        () =>
          t.request('POST', `/v1/ingest/srs?token=${TOKEN}`, {
            rawBody: '{',
            headers: { 'content-type': 'application/json' },
            apiKey: false,
          }),
        400,
      ],
    ])('%s → %i', async (_label, call, status) => {
      const created = await createChannel(t);
      const eventsBefore = (await storedEvents(t)).length;
      const response = await call();
      expect(response.status).toBe(status);
      expect(response.body).toMatchObject({ statusCode: status });
      if (_label.startsWith('srs')) expect(response.body.code).toBe(status);
      expect((await storedEvents(t)).length).toBe(eventsBefore);
      expect((await channel(created.id)).status).toBe('idle');
    });
  });
});

describe.each(databaseKinds())('reconnect-window expiry across a restart on %s', (kind) => {
  it('carries out an expiry that fell due while the service was down, with eventTime = when it fell due', async () => {
    const database = await createTestDatabase(kind);
    try {
      const before = await createTestApp(kind, {}, database);
      const created = await createChannel(before, { reconnectWindow: 1 });
      await ingest(before, created.streamKey, 'publish');
      await ingest(before, created.streamKey, 'unpublish');
      const stopped = (await before.request('GET', `/v1/channel/${created.id}`)).body;
      await before.close({ keepDatabase: true });

      await sleep(1500);
      const after = await createTestApp(kind, {}, database);
      try {
        // ended during start-up, before the app took its first request
        const ended = (await after.request('GET', `/v1/channel/${created.id}`)).body;
        expect(ended.status).toBe('ended');
        const events = await storedEvents(after, created.id);
        expect(events.map((event) => event.name)).toEqual([
          'channel_live',
          'channel_stop',
          'channel_ended',
        ]);
        expect(events[2].eventTime).toBe(Date.parse(stopped.stoppedAt) + 1000);
        expect(ended.endedAt).toBe(new Date(events[2].eventTime).toISOString());
      } finally {
        await after.close({ keepDatabase: true });
      }
    } finally {
      await database.drop();
    }
  });
});

// Several instances share one MySQL; SQLite is one process by design.
describe.each(databaseKinds().filter((kind) => kind === 'mysql'))('two instances on %s', (kind) => {
  it('lets only one of two instances on one database end a channel', async () => {
    const database = await createTestDatabase(kind);
    const first = await createTestApp(kind, {}, database);
    const second = await createTestApp(kind, {}, database);
    try {
      const channels = [];
      for (let i = 0; i < 10; i++) {
        const created = await createChannel(first, { reconnectWindow: 0 });
        await ingest(first, created.streamKey, 'publish');
        channels.push(created);
      }
      await Promise.all(channels.map((created) => ingest(second, created.streamKey, 'unpublish')));
      await Promise.all([
        first.app.get(ChannelLifecycleService).expireDue(),
        second.app.get(ChannelLifecycleService).expireDue(),
      ]);
      await sleep(1200);
      for (const created of channels) {
        expect((await storedEvents(first, created.id)).map((event) => event.name)).toEqual([
          'channel_live',
          'channel_stop',
          'channel_ended',
        ]);
      }
    } finally {
      await second.close({ keepDatabase: true });
      await first.close();
    }
  });
});

describe.each(databaseKinds())('stale live channels on %s (INGEST_STALE_AFTER)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind, { INGEST_TOKEN: TOKEN, INGEST_STALE_AFTER: '1500ms' });
  });
  afterAll(async () => {
    await t?.close();
  });
  const update = (streamKey: string) =>
    t.request('POST', `/v1/ingest/events?token=${TOKEN}`, {
      body: { streamKey, action: 'update' },
      apiKey: false,
    });
  const channel = async (id: string) => (await t.request('GET', `/v1/channel/${id}`)).body;

  it('stops a live channel not heard from for that long, as of when it was last seen; updates keep it live', async () => {
    const kept = await createChannel(t, { reconnectWindow: 1 });
    const silent = await createChannel(t, { reconnectWindow: 1 });
    expect((await ingest(t, kept.streamKey, 'publish', TOKEN)).status).toBe(200);
    expect((await ingest(t, silent.streamKey, 'publish', TOKEN)).status).toBe(200);
    const silentLiveAt = Date.parse((await channel(silent.id)).liveAt);

    // The last update was sent at or after lastSent, and answered by lastAnswered.
    let lastSent = 0;
    let lastAnswered = 0;
    for (let i = 0; i < 6; i++) {
      await sleep(500);
      lastSent = Date.now();
      const answer = await update(kept.streamKey);
      lastAnswered = Date.now();
      expect(answer.body).toEqual({ outcome: 'live' });
    }
    // Silent for 3 s: stopped, its stop at the publish (when it was last seen), then ended.
    const stopped = (await storedEvents(t, silent.id)).find((e) => e.name === 'channel_stop');
    expect(stopped?.eventTime).toBe(silentLiveAt);
    expect(Date.parse(stopped!.body.stoppedAt as string)).toBe(silentLiveAt);
    await eventually(async () => (await channel(silent.id)).status === 'ended', 5_000);
    expect((await channel(kept.id)).status).toBe('live');

    // Its updates stop: it stops too, as of the last one.
    const stop = await eventually(async () => {
      const events = await storedEvents(t, kept.id);
      return events.find((event) => event.name === 'channel_stop');
    }, 5_000);
    expect(stop.eventTime).toBeGreaterThanOrEqual(lastSent);
    expect(stop.eventTime).toBeLessThanOrEqual(lastAnswered);
    expect(await update(kept.streamKey)).toMatchObject({
      status: 200,
      body: { outcome: 'not-live' },
    });
    await eventually(async () => (await channel(kept.id)).status === 'ended', 5_000);
    expect((await storedEvents(t, kept.id)).map((event) => event.name)).toEqual([
      'channel_live',
      'channel_stop',
      'channel_ended',
    ]);
  });
});
