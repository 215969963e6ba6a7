import { DataSource } from 'typeorm';
import { ChannelEventEntity } from '../../src/channel-events/channel-event.entity.js';
import type { Requester } from './http-api.js';
import type { TestApp } from './test-app.js';
import { DATA_SOURCE } from '../../src/database/data-source.token.js';

export interface StoredEvent {
  id: string;
  name: string;
  channelId: string;
  sessionId: string | null;
  eventTime: number;
  body: Record<string, unknown>;
  rawBody: string;
  dispatchedAt: Date | null;
}

/** The outbox rows, oldest first, optionally of one channel. */
export async function storedEvents(t: TestApp, channelId?: string): Promise<StoredEvent[]> {
  const rows = await t.app.get<DataSource>(DATA_SOURCE).manager.find(ChannelEventEntity, {
    where: channelId ? { channelId } : {},
    order: { id: 'ASC' },
  });
  return rows.map((row) => ({
    id: String(row.id),
    name: row.name,
    channelId: String(row.channelId),
    sessionId: row.sessionId,
    eventTime: Number(row.eventTime),
    body: JSON.parse(row.body) as Record<string, unknown>,
    rawBody: row.body,
    dispatchedAt: row.dispatchedAt,
  }));
}

export async function createChannel(t: Requester, body: Record<string, unknown> = {}) {
  const response = await t.request('POST', '/v1/channel', {
    body: { name: 'Morning show', ...body },
  });
  if (response.status !== 201)
    throw new Error(`create channel: ${response.status} ${response.text}`);
  return response.body as {
    id: string;
    streamKey: string;
    status: string;
    reconnectWindow: number;
  };
}

/** The generic ingest hook. */
export function ingest(
  t: Requester,
  streamKey: string,
  action: 'publish' | 'unpublish' | 'update',
  token?: string,
) {
  const query = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
  return t.request('POST', `/v1/ingest/events${query}`, {
    body: { streamKey, action },
    apiKey: false,
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
  stepMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(stepMs);
  }
}

/** The channel as GET answers it, once it has this status. */
export function channelWithStatus(t: Requester, id: string, status: string, timeoutMs = 15_000) {
  return eventually(async () => {
    const answer = await t.request('GET', `/v1/channel/${id}`);
    return answer.status === 200 && answer.body.status === status ? answer.body : undefined;
  }, timeoutMs);
}
