import { createServer } from 'node:http';

/**
 * The benchmark's receiver, in its own process (forked by the bench). Answers every POST at once
 * with 200, or 503 while told to refuse, and records per request its arrival time, its latency
 * (arrival − the body's `eventTime`), its webhook (`?w=<n>`) and the answer given. A delivery is
 * counted as delivered the first time its `webhook-id` is answered 200; later copies are
 * duplicates (at-least-once delivery allows them, the bench reports them).
 *
 * Messages from the parent: {seq, type: 'count' | 'stats', since?}, {seq, type: 'reset' | 'stop'}
 * and {seq, type: 'mode', status: 200 | 503}; every answer carries the same seq. With `since` (ms),
 * `count` also says how many delivered messages are of events older than that (`older`), and
 * `stats` gives the latencies of the newer ones only.
 *
 * A POST to /hang is never answered and not recorded beyond a count: the receiver that never
 * answers, beside the others (the fairness workload).
 */

type Command =
  | { seq: number; type: 'count' | 'stats'; since?: number }
  | { seq: number; type: 'reset' | 'stop' }
  | { seq: number; type: 'mode'; status: number };

let status = 200;
// One entry per request, in arrival order (parallel arrays keep 100,000s of them cheap).
let arrivals: number[] = [];
let latencies: number[] = [];
let webhooks: number[] = [];
let answers: number[] = [];
let delivered = new Set<string>();
/** Index into the arrays of each request that delivered a message for the first time. */
let firstDeliveries: number[] = [];
let refused = 0;
let hung = 0;
let lastBodyBytes = 0;

function reset(): void {
  arrivals = [];
  latencies = [];
  webhooks = [];
  answers = [];
  delivered = new Set();
  firstDeliveries = [];
  refused = 0;
  hung = 0;
}

const EVENT_TIME = /"eventTime":(\d+)/;

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    if (request.url?.startsWith('/hang')) {
      hung++;
      return;
    }
    const now = Date.now();
    const body = Buffer.concat(chunks);
    lastBodyBytes = body.length;
    // Only the head of the body is searched: eventTime comes second in every callback.
    const eventTime = EVENT_TIME.exec(body.subarray(0, 200).toString('latin1'))?.[1];
    const w = /[?&]w=(\d+)/.exec(request.url ?? '')?.[1];
    const index = arrivals.length;
    arrivals.push(now);
    latencies.push(eventTime === undefined ? -1 : now - Number(eventTime));
    webhooks.push(w === undefined ? -1 : Number(w));
    answers.push(status);
    if (status === 200) {
      const id = request.headers['webhook-id'];
      if (typeof id === 'string' && !delivered.has(id)) {
        delivered.add(id);
        firstDeliveries.push(index);
      }
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      response.end('ok');
    } else {
      refused++;
      // No Retry-After: the service's own retry schedule decides when it comes back.
      response.writeHead(status, { 'content-type': 'text/plain', 'content-length': 4 });
      response.end('busy');
    }
  });
});
server.keepAliveTimeout = 60_000;

/** Whether the request at `index` carried an event from before `since` (ms). */
const olderThan = (index: number, since: number) =>
  latencies[index] >= 0 && arrivals[index] - latencies[index] < since;

function counts(since?: number) {
  const lastFirst = firstDeliveries.at(-1);
  return {
    older:
      since === undefined ? 0 : firstDeliveries.filter((index) => olderThan(index, since)).length,
    requests: arrivals.length,
    delivered: delivered.size,
    refused,
    hung,
    firstArrival: arrivals[0] ?? 0,
    lastArrival: arrivals.at(-1) ?? 0,
    firstDelivered: firstDeliveries.length > 0 ? arrivals[firstDeliveries[0]] : 0,
    lastDelivered: lastFirst === undefined ? 0 : arrivals[lastFirst],
    bodyBytes: lastBodyBytes,
  };
}

function stats(since?: number) {
  const perWebhook: Record<string, number> = {};
  const deliveredLatencies: number[] = [];
  for (const index of firstDeliveries) {
    const key = String(webhooks[index]);
    perWebhook[key] = (perWebhook[key] ?? 0) + 1;
    if (latencies[index] >= 0 && !(since !== undefined && olderThan(index, since)))
      deliveredLatencies.push(latencies[index]);
  }
  const duplicates = answers.filter((answer) => answer === 200).length - firstDeliveries.length;
  return { ...counts(since), latencies: deliveredLatencies, perWebhook, duplicates };
}

process.on('message', (command: Command) => {
  const reply = (body: object) => process.send?.({ seq: command.seq, ...body });
  switch (command.type) {
    case 'count':
      return reply(counts(command.since));
    case 'stats':
      return reply(stats(command.since));
    case 'reset':
      reset();
      return reply({});
    case 'mode':
      status = command.status;
      return reply({});
    case 'stop':
      server.closeAllConnections();
      server.close(() => process.exit(0));
      return;
  }
});

// The parent going away must not leave the receiver behind.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  process.send?.({ seq: 0, port: (server.address() as { port: number }).port });
});
