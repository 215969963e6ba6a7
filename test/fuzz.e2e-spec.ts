import { Buffer } from 'node:buffer';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from './helpers/databases.js';
import { CALLBACK_URIS } from './fuzz/bodies.js';
import type { AuthChoice, Draft, Resource } from './fuzz/drafts.js';
import { bodyDraft, framingDraft, ingestDraft, queryDraft } from './fuzz/requests.js';
import { type Method, type OpenApiDocument, readRoutes, type Route } from './fuzz/routes.js';
import { createTestApp, TEST_API_KEY, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';
import { DATA_SOURCE } from '../src/database/data-source.token.js';

/*
 * Property-based fuzzing of every route the OpenAPI document lists, against the running app:
 * hostile bodies, content types, query strings, path ids and ingest tokens. Whatever is sent,
 * the app must never answer 5xx, must answer errors as {statusCode, message, error} without
 * internals, and must not have written anything when it answered 4xx. The generators of the
 * requests are in fuzz/ (routes, drafts, bodies, requests); the database checks and the sending
 * are here, with the properties.
 */

const INGEST_TOKEN = 'fuzz-token';
const RUNS = { bodies: 1200, framing: 600, queries: 700, ingest: 600 };
const PROPERTY_TIMEOUT = 150_000;

// ---------------------------------------------------------------------------------------------
// The database: a fingerprint before each request, and what changed after a 4xx

type Row = Record<string, string | null>;

interface Snapshot {
  /** Rows per table, as they stand: the fingerprint a 4xx answer must leave unchanged. */
  counts: Record<string, number>;
  webhooks: string;
  webhookEvents: string;
  channels: Map<string, Row>;
  /** channel_event id → its row; `undispatched` is '1' until fan-out has made its deliveries. */
  events: Map<string, Row>;
  deliveries: Map<string, Row>;
  streamKeys: string[];
  recentDeliveries: { id: string; webhookId: string }[];
}

/** Row values as strings: MySQL gives bigints as strings and booleans as 0/1, SQLite numbers. */
function normalize(rows: Record<string, unknown>[]): Row[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => [
        key,
        value === null || value === undefined
          ? null
          : value instanceof Date
            ? value.toISOString()
            : typeof value === 'object'
              ? JSON.stringify(value)
              : String(value as string | number | boolean | bigint),
      ]),
    ),
  );
}

async function takeSnapshot(db: DataSource): Promise<Snapshot> {
  const q = async (sql: string) => normalize(await db.query<Record<string, unknown>[]>(sql));
  // Read in this order so that background work committing in between is always explained: a
  // channel seen stopped may have ended since (its channel_ended row is then new or already
  // read), and an event seen undispatched may have its deliveries already (read after it).
  const channels = await q(
    'SELECT id, name, description, reconnect_window, stream_key, status, session_id FROM `channel` ORDER BY id',
  );
  const events = await q(
    'SELECT id, channel_id, name, CASE WHEN dispatched_at IS NULL THEN 1 ELSE 0 END AS undispatched FROM `channel_event`',
  );
  const deliveries = await q('SELECT id, webhook_id, event_id, event FROM `delivery` ORDER BY id');
  // Only the columns requests write: the delivery worker keeps failing_since, updated_at and the
  // like up to date on its own.
  const webhooks = await q(
    'SELECT id, uri, secret, previous_secret, state FROM `webhook` ORDER BY id',
  );
  const webhookEvents = await q(
    'SELECT webhook_id, event, position FROM `webhook_event` ORDER BY webhook_id, event',
  );
  return {
    counts: {
      webhook: webhooks.length,
      webhook_event: webhookEvents.length,
      channel: channels.length,
      channel_event: events.length,
      delivery: deliveries.length,
    },
    webhooks: JSON.stringify(webhooks),
    webhookEvents: JSON.stringify(webhookEvents),
    channels: new Map(channels.map((row) => [row.id!, row])),
    events: new Map(events.map((row) => [row.id!, row])),
    deliveries: new Map(deliveries.map((row) => [row.id!, row])),
    streamKeys: channels.map((row) => row.stream_key!),
    recentDeliveries: deliveries
      .slice(-50)
      .map((row) => ({ id: row.id!, webhookId: row.webhook_id! })),
  };
}

/**
 * What was written since `before`, leaving out what the app does on its own: the expiry scan ends
 * stopped channels whose reconnect window ran out (a channel_ended row and the channel's status),
 * and fan-out turns undispatched events into delivery rows.
 */
async function writesSince(db: DataSource, before: Snapshot): Promise<string[]> {
  const after = await takeSnapshot(db);
  const problems: string[] = [];
  for (const table of ['webhook', 'webhook_event', 'channel']) {
    if (after.counts[table] !== before.counts[table]) {
      problems.push(`${table}: ${before.counts[table]} rows before, ${after.counts[table]} after`);
    }
  }
  if (after.webhooks !== before.webhooks) problems.push('webhook rows changed');
  if (after.webhookEvents !== before.webhookEvents) problems.push('webhook_event rows changed');
  for (const [id, row] of before.channels) {
    const now = after.channels.get(id);
    if (!now) continue;
    const expired = row.status === 'stopped' && now.status === 'ended';
    const fields = expired
      ? ['name', 'description', 'reconnect_window', 'stream_key']
      : Object.keys(row);
    const changed = fields.filter((field) => row[field] !== now[field]);
    if (changed.length) problems.push(`channel ${id} changed: ${changed.join(', ')}`);
  }

  const backgroundEvents = new Set<string>();
  for (const [id, event] of after.events) {
    if (before.events.has(id)) continue;
    const channel = before.channels.get(event.channel_id!);
    if (event.name === 'channel_ended' && channel?.status === 'stopped') backgroundEvents.add(id);
    else
      problems.push(
        `channel_event ${id} (${event.name} of channel ${event.channel_id}) was written`,
      );
  }
  for (const [id, delivery] of after.deliveries) {
    if (before.deliveries.has(id)) continue;
    const eventId = delivery.event_id;
    const fannedOut =
      eventId !== null &&
      (before.events.get(eventId)?.undispatched === '1' || backgroundEvents.has(eventId));
    if (!fannedOut) problems.push(`delivery ${id} (${delivery.event}) was written`);
  }
  for (const table of ['events', 'deliveries'] as const) {
    const gone = [...before[table].keys()].filter((id) => !after[table].has(id));
    if (gone.length) problems.push(`${table} ${gone.slice(0, 5).join(', ')} were deleted`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Sending

interface Outgoing {
  method: Method;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

interface Sent extends Outgoing {
  route: Route;
  bodyKind: string | undefined;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  error?: string;
}

function resolveDraft(draft: Draft, snapshot: Snapshot): Sent {
  const pools: Record<Resource, string[]> = {
    webhook: (JSON.parse(snapshot.webhooks) as Row[]).map((row) => row.id!),
    channel: [...snapshot.channels.keys()],
    delivery: snapshot.recentDeliveries.map((row) => row.id),
  };
  const pickFrom = (pool: string[], pick: number) => (pool.length ? pool[pick % pool.length] : '1');
  const ids = draft.ids.map((choice) => {
    if (typeof choice === 'string') return choice;
    if ('existing' in choice) return pickFrom(pools[choice.existing], choice.pick);
    const deliveries = snapshot.recentDeliveries;
    return deliveries.length
      ? deliveries[choice.ownerOfDelivery % deliveries.length].webhookId
      : '1';
  });
  // a delivery id goes with the webhook it belongs to, when the webhook was picked that way
  const owner = draft.ids.findIndex(
    (choice) => typeof choice === 'object' && 'ownerOfDelivery' in choice,
  );
  const deliveryParam = draft.route.params.indexOf('deliveryId');
  if (owner >= 0 && deliveryParam >= 0 && typeof draft.ids[deliveryParam] === 'object') {
    const choice = draft.ids[owner] as { ownerOfDelivery: number };
    const deliveries = snapshot.recentDeliveries;
    if (deliveries.length)
      ids[deliveryParam] = deliveries[choice.ownerOfDelivery % deliveries.length].id;
  }
  let index = 0;
  let path = draft.route.template.replace(/\{\w+\}/g, () => ids[index++]);

  const query = [...draft.query];
  switch (draft.token) {
    case 'right':
      query.push(`token=${INGEST_TOKEN}`);
      break;
    case 'wrong':
      query.push('token=not-the-token');
      break;
    case 'empty':
      query.push('token=');
      break;
    case 'twice':
      query.push(`token=${INGEST_TOKEN}`, `token=${INGEST_TOKEN}`);
      break;
    case 'right-and-wrong':
      query.push(`token=${INGEST_TOKEN}`, 'token=x');
      break;
    case 'upper-case':
      query.push(`token=${INGEST_TOKEN.toUpperCase()}`);
      break;
    case 'padded':
      query.push(`token=%20${INGEST_TOKEN}%20`);
      break;
    case 'bracketed':
      query.push(`token[]=${INGEST_TOKEN}`);
      break;
    default:
      break;
  }
  if (query.length) path += `?${query.join('&')}`;

  const headers: Record<string, string> = {};
  const auth: Record<AuthChoice, string | undefined> = {
    key: `Bearer ${TEST_API_KEY}`,
    none: undefined,
    wrong: 'Bearer not-a-key',
    'lower-case-scheme': `bearer ${TEST_API_KEY}`,
    basic: `Basic ${Buffer.from(`${TEST_API_KEY}:`).toString('base64')}`,
    'key-and-junk': `Bearer ${TEST_API_KEY} junk`,
  };
  if (auth[draft.auth]) headers.authorization = auth[draft.auth]!;
  if (draft.contentType !== undefined) headers['content-type'] = draft.contentType;
  Object.assign(headers, draft.extraHeaders);

  let body: Buffer | undefined;
  if (draft.body?.bytes) body = Buffer.from(draft.body.bytes);
  else if (draft.body?.text !== undefined) {
    const keys = snapshot.streamKeys;
    const text = draft.body.text.replace(/@@streamKey:(\d+)@@/g, (_, pick: string) =>
      keys.length ? keys[Number(pick) % keys.length] : 'no-such-key',
    );
    body = Buffer.from(text, 'utf8');
  }
  if (body && draft.chunked) headers['transfer-encoding'] = 'chunked';
  else if (body) headers['content-length'] = String(body.length);
  return {
    route: draft.route,
    method: draft.route.method,
    path,
    headers,
    body,
    bodyKind: draft.body?.kind,
  };
}

/**
 * node:http rather than fetch: fetch resolves `%2e%2e` segments and refuses GET bodies, and these
 * requests must reach the app exactly as written.
 */
function send(baseUrl: URL, sent: Outgoing): Promise<Answer> {
  return new Promise((resolve) => {
    let answered = false;
    const request = httpRequest(
      {
        host: baseUrl.hostname,
        port: baseUrl.port,
        method: sent.method,
        path: sent.path,
        headers: sent.headers,
        agent: false,
      },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', (error) =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: '',
            error: error.message,
          }),
        );
      },
    );
    // an answer that comes before the whole body was written is still the answer (413)
    request.on('error', (error) => {
      if (!answered) resolve({ status: 0, headers: {}, text: '', error: error.message });
    });
    request.setTimeout(20_000, () => request.destroy(new Error('no answer within 20 s')));
    request.end(sent.body);
  });
}

// ---------------------------------------------------------------------------------------------
// Checks

/** Stack frames and source paths; an echo of what the request itself carried does not count. */
const LEAKS = [
  /\n\s*at\s+\S/,
  /\bat\s+[\w.<>$[\]]+\s+\(.*:\d+:\d+\)/,
  /(?:file:\/\/)?(?:\/[\w.@-]+){2,}\.[cm]?[jt]s\b/,
  /node_modules/,
  /\b(?:QueryFailedError|SQLITE_\w+|ER_\w+|TypeError|RangeError|ReferenceError)\b/,
];

function errorBodyProblems(sent: Sent, answer: Answer): string[] {
  const problems: string[] = [];
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [`error answer is not JSON: ${JSON.stringify(answer.text.slice(0, 200))}`];
  }
  if (!String(answer.headers['content-type'] ?? '').startsWith('application/json')) {
    problems.push(`error answer's content-type is ${answer.headers['content-type']}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return [...problems, 'error answer is not an object'];
  const record = body as Record<string, unknown>;
  // SRS wants a non-zero `code` in its denials
  const allowed =
    sent.route.template === '/v1/ingest/srs'
      ? ['code', 'error', 'message', 'statusCode']
      : ['error', 'message', 'statusCode'];
  const keys = Object.keys(record).sort();
  if (
    !['error', 'message', 'statusCode'].every((key) => keys.includes(key)) ||
    keys.some((key) => !allowed.includes(key))
  ) {
    problems.push(`error answer has the keys ${keys.join(', ')}`);
  }
  if (record.statusCode !== answer.status)
    problems.push(`statusCode ${String(record.statusCode)} in a ${answer.status} answer`);
  if (typeof record.error !== 'string') problems.push('error is not a string');
  const message = record.message;
  if (!(
    typeof message === 'string' ||
    (Array.isArray(message) && message.every((item) => typeof item === 'string'))
  )) {
    problems.push('message is neither a string nor a list of strings');
  }
  const asked = `${sent.path}\n${sent.body?.toString('utf8') ?? ''}`;
  for (const pattern of LEAKS) {
    const match = pattern.exec(answer.text);
    if (match && !asked.includes(match[0]))
      problems.push(`error answer leaks internals: ${JSON.stringify(match[0])}`);
  }
  if (answer.text.includes(process.cwd())) problems.push('error answer names a path on the server');
  return problems;
}

function describeExchange(sent: Sent, answer: Answer): string {
  const body = sent.body;
  const shown =
    body === undefined
      ? '(none)'
      : body.length > 400
        ? `${JSON.stringify(body.subarray(0, 400).toString('utf8'))}… (${body.length} bytes)`
        : JSON.stringify(body.toString('utf8'));
  return [
    `${sent.method} ${sent.path.length > 300 ? `${sent.path.slice(0, 300)}… (${sent.path.length} chars)` : sent.path}`,
    `headers: ${JSON.stringify(sent.headers)}`,
    `body (${sent.bodyKind ?? 'none'}): ${shown}`,
    `answer: ${answer.status} ${answer.error ?? ''}${answer.text.slice(0, 600)}`,
  ].join('\n  ');
}

// ---------------------------------------------------------------------------------------------

describe.each(databaseKinds())('fuzzing every documented route on %s', (kind) => {
  let t: TestApp;
  let db: DataSource;
  let baseUrl: URL;
  let routes: Route[];
  const tried = new Map<string, Map<number, number>>();

  /** One request, with every property checked; throws with the exchange when one does not hold. */
  const exchange = async (draft: Draft): Promise<void> => {
    const before = await takeSnapshot(db);
    const sent = resolveDraft(draft, before);
    const answer = await send(baseUrl, sent);
    const statuses = tried.get(sent.route.key) ?? new Map<number, number>();
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    tried.set(sent.route.key, statuses);

    const problems: string[] = [];
    if (answer.status === 0) problems.push(`no answer: ${answer.error}`);
    if (answer.status >= 500) problems.push(`answered ${answer.status}`);
    if (answer.status >= 400) problems.push(...errorBodyProblems(sent, answer));
    if (answer.status >= 400 && answer.status < 500)
      problems.push(...(await writesSince(db, before)));
    if (Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')) {
      problems.push('Object.prototype was polluted');
    }
    if (problems.length) {
      throw new Error(`${problems.join('; ')}\n  ${describeExchange(sent, answer)}`);
    }
  };

  const call = async (method: Method, path: string, body?: unknown) => {
    const answer = await send(baseUrl, {
      method,
      path,
      headers: {
        authorization: `Bearer ${TEST_API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    });
    return { status: answer.status, text: answer.text, body: JSON.parse(answer.text || 'null') };
  };
  const setUp = async (method: Method, path: string, body?: unknown) => {
    const answer = await call(method, path, body);
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`);
    return answer.body;
  };

  beforeAll(async () => {
    // The helper lifts the rate limits: under the defaults most of these requests, refused ones
    // from one address in seconds, would be answered 429 before their inputs were looked at.
    t = await createTestApp(kind, { INGEST_TOKEN, DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8' });
    db = t.app.get<DataSource>(DATA_SOURCE);
    baseUrl = new URL(t.baseUrl);
    const response = await fetch(`${t.baseUrl}/docs-json`);
    routes = readRoutes((await response.json()) as OpenApiDocument);

    // Something to point existing ids at: webhooks, channels (one live, one stopped), deliveries.
    const webhooks: { id: string }[] = [];
    for (const event of ['all', 'channel_live', 'channel_stop,channel_ended']) {
      webhooks.push(await createWebhook(t, { uri: CALLBACK_URIS[0], event }));
    }
    const keys: string[] = [];
    for (const reconnectWindow of [0, 60, 1800]) {
      keys.push((await setUp('POST', '/v1/channel', { name: 'Fuzz', reconnectWindow })).streamKey);
    }
    const ingest = (streamKey: string, action: string) =>
      setUp('POST', `/v1/ingest/events?token=${INGEST_TOKEN}`, { streamKey, action });
    await ingest(keys[1], 'publish');
    await ingest(keys[2], 'publish');
    await ingest(keys[2], 'unpublish');
    await setUp('POST', `/v1/webhook/${webhooks[0].id}/test`);
  });

  afterAll(async () => {
    const lines = [...tried]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([route, statuses]) => {
        const total = [...statuses.values()].reduce((sum, count) => sum + count, 0);
        const seen = [...statuses]
          .sort(([a], [b]) => a - b)
          .map(([status, count]) => `${status}×${count}`)
          .join(' ');
        return `  ${route.padEnd(58)} ${String(total).padStart(5)}  ${seen}`;
      });
    const total = [...tried.values()]
      .flatMap((statuses) => [...statuses.values()])
      .reduce((sum, count) => sum + count, 0);
    console.log(
      `fuzz on ${kind}: ${total} requests over ${tried.size} routes\n${lines.join('\n')}`,
    );
    await t?.close();
  });

  it('reads the routes from the OpenAPI document', () => {
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.map((route) => route.key)).toContain('POST /v1/webhook');
    expect(routes.filter((route) => route.ingest).length).toBeGreaterThan(0);
  });

  it(
    'survives valid-ish and hostile JSON bodies on every route',
    { timeout: PROPERTY_TIMEOUT },
    async () => {
      await fc.assert(fc.asyncProperty(bodyDraft(routes), exchange), { numRuns: RUNS.bodies });
    },
  );

  it(
    'survives wrong content types, malformed bytes and chunked bodies',
    { timeout: PROPERTY_TIMEOUT },
    async () => {
      await fc.assert(fc.asyncProperty(framingDraft(routes), exchange), { numRuns: RUNS.framing });
    },
  );

  it('survives odd query strings and path ids', { timeout: PROPERTY_TIMEOUT }, async () => {
    await fc.assert(fc.asyncProperty(queryDraft(routes), exchange), { numRuns: RUNS.queries });
  });

  it(
    'survives ingest hooks with and without the right token',
    { timeout: PROPERTY_TIMEOUT },
    async () => {
      const ingestRoutes = routes.filter((route) => route.ingest);
      await fc.assert(fc.asyncProperty(ingestDraft(ingestRoutes), exchange), {
        numRuns: RUNS.ingest,
      });
    },
  );

  it('still answers afterwards', async () => {
    const answer = await call('GET', '/v1/webhook');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({ page: 0, data: expect.any(Array) });
  });
});
