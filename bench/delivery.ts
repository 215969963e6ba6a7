/**
 * npm run bench:delivery — N channels go live against M webhooks on a local receiver, on MySQL.
 * The service runs as in production (`node dist/main.js`, its own process), and the channels go
 * live through the generic ingest hook, as a media server would make them. Prints deliveries/s
 * and event→receiver latency (p50/p99), and, in the same run, the requests/s of a bare
 * keep-alive HTTP client loop against the same receiver: the ceiling.
 *
 * BENCH_CHANNELS (500), BENCH_WEBHOOKS (4), BENCH_MYSQL_URL (mysql://root@127.0.0.1:3306/),
 * DELIVERY_CONCURRENCY (64), BENCH_SERVICE_ARGS (extra node flags for the service).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createConnection } from 'mysql2/promise';

const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 500);
const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 4);
const CONCURRENCY = Number(process.env.DELIVERY_CONCURRENCY ?? 64);
const SERVER = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

interface Stats {
  count: number;
  first: number;
  last: number;
  latencies: number[];
}

function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function waitFor(receiver: ChildProcess, count: number, timeoutMs: number): Promise<Stats> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = 0;
  for (;;) {
    const stats = await ask<Stats>(receiver, 'stats');
    if (stats.count >= count) return stats;
    if (Date.now() > deadline)
      throw new Error(`only ${stats.count} of ${count} arrived in ${timeoutMs} ms`);
    if (Date.now() - lastReport > 1000) {
      console.log(`  … ${stats.count}/${count} delivered`);
      lastReport = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The ceiling: a bare node:http keep-alive loop, CONCURRENCY requests in flight, same body size. */
async function bareLoop(port: number, total: number, body: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      next++;
      await new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/hook',
            method: 'POST',
            agent,
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return total / seconds;
}

async function main(): Promise<void> {
  const database = `cw_bench_${randomBytes(4).toString('hex')}`;
  const server = new URL(SERVER);
  server.pathname = '/';
  const admin = await createConnection(server.toString());
  await admin.query(`CREATE DATABASE \`${database}\``);
  const url = new URL(server.toString());
  url.pathname = `/${database}`;

  const receiver = fork(fileURLToPath(new URL('./receiver.ts', import.meta.url)), [], {
    execArgv: ['--import', '@swc-node/register/esm-register'],
  });
  const [{ port: receiverPort }] = (await once(receiver, 'message')) as [{ port: number }];

  const port = await freePort();
  // BENCH_SERVICE_ARGS: extra node flags for the service, e.g. --cpu-prof
  const serviceArgs = (process.env.BENCH_SERVICE_ARGS ?? '').split(' ').filter(Boolean);
  const service = spawn(
    process.execPath,
    [...serviceArgs, fileURLToPath(new URL('../dist/main.js', import.meta.url))],
    {
      env: {
        ...process.env,
        NODE_ENV: 'development',
        PORT: String(port),
        DATABASE_URL: url.toString(),
        DELIVERY_CONCURRENCY: String(CONCURRENCY),
        DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
        API_KEYS: 'bench',
        INGEST_TOKEN: 'bench',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const base = `http://127.0.0.1:${port}`;
  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, string>;
  };

  try {
    console.log(
      `channel-webhooks delivery benchmark: ${CHANNELS} channels × ${WEBHOOKS} webhooks on MySQL, concurrency ${CONCURRENCY}`,
    );
    for (let tries = 0; ; tries++) {
      try {
        await fetch(`${base}/docs-json`);
        break;
      } catch (error) {
        if (tries > 200) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    for (let i = 0; i < WEBHOOKS; i++) {
      await call('/v1/webhook', {
        uri: `http://127.0.0.1:${receiverPort}/hook?w=${i}`,
        event: 'all',
      });
    }
    const keys: string[] = [];
    for (let i = 0; i < CHANNELS; i++)
      keys.push((await call('/v1/channel', { name: `bench ${i}` })).streamKey);

    const expected = CHANNELS * WEBHOOKS;
    const started = Date.now();
    // publishers arrive as media servers would report them: many hooks at once
    for (let i = 0; i < CHANNELS; i += 50) {
      await Promise.all(
        keys
          .slice(i, i + 50)
          .map((streamKey) =>
            call('/v1/ingest/events?token=bench', { streamKey, action: 'publish' }),
          ),
      );
    }
    const hooksDone = Date.now();
    const stats = await waitFor(receiver, expected, 300_000);
    const seconds = (stats.last - started) / 1000;
    const sorted = [...stats.latencies].sort((a, b) => a - b);
    const throughput = expected / seconds;
    const hookRate = (CHANNELS * 1000) / (hooksDone - started);
    console.log(
      `  hooks: ${CHANNELS} publish hooks answered in ${hooksDone - started} ms (${hookRate.toFixed(0)}/s)`,
    );
    console.log(
      `  service: ${expected} deliveries in ${seconds.toFixed(2)} s = ${throughput.toFixed(0)} deliveries/s`,
    );
    console.log(
      `  latency event→receiver: p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms, max ${sorted.at(-1)} ms`,
    );
    service.kill('SIGTERM');
    await once(service, 'exit');

    const body = JSON.stringify({
      event: 'channel_live',
      eventTime: Date.now(),
      padding: 'x'.repeat(400),
    });
    await ask(receiver, 'reset');
    const ceiling = await bareLoop(receiverPort, expected, body);
    console.log(
      `  ceiling: bare node:http keep-alive loop, ${CONCURRENCY} in flight: ${ceiling.toFixed(0)} requests/s`,
    );
    console.log(`  ratio: service at ${((throughput / ceiling) * 100).toFixed(1)}% of the ceiling`);
  } finally {
    if (service.exitCode === null) service.kill('SIGKILL');
    receiver.send({ type: 'stop' });
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  }
}

await main();
