import { createServer } from 'node:http';

/**
 * The benchmark's receiver, in its own process: answers 200 to every POST and records, per
 * request, when it arrived and the eventTime the body carries (for event→receiver latency).
 */
const latencies: number[] = [];
let first = 0;
let last = 0;
let count = 0;

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const now = Date.now();
    count++;
    if (first === 0) first = now;
    last = now;
    const eventTime = /"eventTime":(\d+)/.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
    if (eventTime) latencies.push(now - Number(eventTime));
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('ok');
  });
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port: (server.address() as { port: number }).port });
});

process.on('message', (message: { type: string }) => {
  if (message.type === 'stats') {
    process.send?.({ type: 'stats', count, first, last, latencies });
  } else if (message.type === 'reset') {
    latencies.length = 0;
    first = last = count = 0;
    process.send?.({ type: 'reset' });
  } else if (message.type === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
