import { createServer, type ServerResponse } from 'node:http';
import { ALL_EVENTS } from '../src/common/channel-event-name.js';
import { maskedHeaders, readStoredHeaders } from '../src/webhook/webhook-headers.js';
import { WEBHOOK_SQL } from '../src/webhook/webhook.sql.js';
import { servicePool } from './mysql-pool.js';

/**
 * The bare read server: node:http and a mysql2 pool, no framework, answering the two webhook read
 * routes the reads workload measures with the statements the service runs for them (imported
 * from the service), on the service's own database, rows mapped to the same JSON. Forked by the
 * bench (the database URL is its first argument); it sends {port} once it listens. What it reaches
 * is the ceiling of those routes on this machine, beside which the service's figures are read.
 *
 *   GET /v1/webhook/<id>                                     one webhook with its events
 *   GET /v1/webhook?page=<n>&length=<n>[&event=<a,b>]        a page of them, and the count
 */

interface WebhookRow {
  id: string;
  uri: string;
  state: string;
  rateLimit: number | null;
  headers: string | null;
  createdAt: Date;
  updatedAt: Date;
  event: string | null;
}

interface WebhookJson {
  id: string;
  uri: string;
  event: string[];
  active: boolean;
  rateLimit: number | null;
  headers: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** The dialect the statements ask for, on MySQL. */
const MYSQL = {
  list: (n: number) => (n === 0 ? 'NULL' : Array.from({ length: n }, () => '?').join(', ')),
  forUpdate: () => ' FOR UPDATE',
  counting: (update: string) => update,
};

const pool = servicePool(process.argv[2]);

/** Joined rows (a webhook with each of its events) as the API's webhooks, in row order. */
function group(rows: WebhookRow[]): WebhookJson[] {
  const found = new Map<string, WebhookJson>();
  for (const row of rows) {
    let webhook = found.get(row.id);
    if (!webhook) {
      webhook = {
        id: row.id,
        uri: row.uri,
        event: [],
        active: row.state === 'active',
        rateLimit: row.rateLimit,
        headers: maskedHeaders(Object.keys(readStoredHeaders(row.headers))),
        createdAt: row.createdAt.toISOString(),
        updatedAt: row.updatedAt.toISOString(),
      };
      found.set(row.id, webhook);
    }
    if (row.event !== null) webhook.event.push(row.event);
  }
  return [...found.values()];
}

async function one(id: string): Promise<WebhookJson | undefined> {
  const [rows] = await pool.query(WEBHOOK_SQL.withEvents(MYSQL, 1), [id]);
  return group(rows as WebhookRow[])[0];
}

async function page(query: URLSearchParams) {
  const pageNumber = Number(query.get('page') ?? 0);
  const length = Number(query.get('length') ?? 10);
  const events = query.get('event')?.split(',');
  const names = events && !events.includes(ALL_EVENTS) ? [...events, ALL_EVENTS] : [];
  const [count] = await pool.query(WEBHOOK_SQL.countPage(MYSQL, names.length), names);
  const [rows] = await pool.query(WEBHOOK_SQL.page(MYSQL, names.length), [
    ...names,
    length,
    pageNumber * length,
  ]);
  const data = group(rows as WebhookRow[]);
  const total = Number((count as { total: number | string }[])[0].total);
  return { data, total, length: data.length, page: pageNumber };
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const byId = /^\/v1\/webhook\/(\d+)$/.exec(url.pathname);
  const reply =
    request.method !== 'GET'
      ? Promise.resolve([405, { statusCode: 405 }] as const)
      : byId
        ? one(byId[1]).then((found) =>
            found ? ([200, found] as const) : ([404, { statusCode: 404 }] as const),
          )
        : url.pathname === '/v1/webhook'
          ? page(url.searchParams).then((body) => [200, body] as const)
          : Promise.resolve([404, { statusCode: 404 }] as const);
  reply.then(
    ([status, body]) => answer(response, status, body),
    (error: Error) => answer(response, 500, { statusCode: 500, message: error.message }),
  );
});
server.keepAliveTimeout = 60_000;

process.on('message', (message: { type: string }) => {
  if (message.type !== 'stop') return;
  server.closeAllConnections();
  server.close(() => void pool.end().finally(() => process.exit(0)));
});

// The parent going away must not leave the server behind.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as { port: number }).port });
});
