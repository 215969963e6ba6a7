// The container's end-to-end check, run by .ci/container.sh against the running image:
//   node --import @swc-node/register/esm-register .ci/container-callback.ts \
//     BASE_URL API_KEY INGEST_TOKEN CONTAINER
// A receiver on 127.0.0.1 gets the callbacks of a webhook created through the API; a channel goes
// live through the generic ingest hook and its channel_live callback must verify with the
// standardwebhooks package. Then the channel is ended and the receiver holds channel_ended's answer
// while the container is sent SIGTERM, so the service stops with an attempt in flight to drain.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';

interface Callback {
  headers: Record<string, string>;
  body: string;
}

const [baseUrl, apiKey, ingestToken, container] = process.argv.slice(2);
if (!container) {
  throw new Error('usage: container-callback.ts BASE_URL API_KEY INGEST_TOKEN CONTAINER');
}

const arrived = new Map<string, Callback>();
const waiting = new Map<string, (callback: Callback) => void>();
let release = (): void => {};
const released = new Promise<void>((resolve) => (release = resolve));

const receiver = createServer((request, response) => {
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => (body += chunk));
  request.on('end', () => {
    const callback = { headers: request.headers as Record<string, string>, body };
    const { event } = JSON.parse(body) as { event: string };
    arrived.set(event, callback);
    waiting.get(event)?.(callback);
    const answer = (): void => void response.writeHead(204).end();
    if (event === 'channel_ended') void released.then(answer);
    else answer();
  });
});
receiver.listen(0, '127.0.0.1');
await once(receiver, 'listening');
const { port } = receiver.address() as AddressInfo;

function callbackOf(event: string): Promise<Callback> {
  const seen = arrived.get(event);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} callback within 30 s`)), 30_000);
    waiting.set(event, (callback) => {
      clearTimeout(timer);
      resolve(callback);
    });
  });
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  auth = true,
): Promise<Record<string, string>> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: {
      'content-type': 'application/json',
      ...(auth ? { authorization: `Bearer ${apiKey}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, string>;
}

const webhook = await call('POST', '/v1/webhook', {
  uri: `http://127.0.0.1:${port}/`,
  event: 'all',
});
const channel = await call('POST', '/v1/channel', { name: 'container check' });
const ingest = `/v1/ingest/events?token=${encodeURIComponent(ingestToken)}`;
await call('POST', ingest, { streamKey: channel.streamKey, action: 'publish' }, false);

const live = await callbackOf('channel_live');
const payload = new Webhook(webhook.secret).verify(live.body, live.headers) as {
  event: string;
  id: string;
};
if (payload.event !== 'channel_live' || payload.id !== channel.id) {
  throw new Error(`unexpected channel_live payload: ${live.body}`);
}
console.log(`channel_live callback verified (webhook-id ${live.headers['webhook-id']})`);

// channel_ended: its answer held while the service is told to stop
await call('POST', `/v1/channel/${channel.id}/end`);
const ended = await callbackOf('channel_ended');
new Webhook(webhook.secret).verify(ended.body, ended.headers);
await promisify(execFile)('podman', ['kill', '--signal', 'TERM', container]);
console.log('channel_ended callback verified, its answer held; SIGTERM sent');
setTimeout(release, 1_000);
await released;
receiver.close();
