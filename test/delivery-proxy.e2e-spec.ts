import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { type DnsServer, startDnsServer } from './helpers/dns-server.js';
import { type Receiver, startReceiver } from './helpers/receiver.js';
import { verifySignature } from './helpers/signature.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { startTinyproxy, type Tinyproxy } from './helpers/tinyproxy.js';
import { createWebhook } from './helpers/webhooks.js';

/** An https receiver on 127.0.0.1 for `receiver.test`, its certificate trusted by this process. */
async function startHttpsReceiver(): Promise<{
  port: number;
  received: { path: string; body: string; headers: Record<string, unknown> }[];
  close(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=receiver.test',
      '-addext',
      'subjectAltName=DNS:receiver.test',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  setDefaultCACertificates([...getCACertificates('default'), cert]);
  const received: { path: string; body: string; headers: Record<string, unknown> }[] = [];
  const server: Server = createHttpsServer({ cert, key }, (request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ path: request.url ?? '', body, headers: request.headers });
      response.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    received,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe.each(databaseKinds())('callbacks through DELIVERY_PROXY on %s', (kind) => {
  let t: TestApp;
  let proxy: Tinyproxy;
  let dns: DnsServer;
  let plain: Receiver;
  let secure: Awaited<ReturnType<typeof startHttpsReceiver>>;

  beforeAll(async () => {
    // The proxy on an address DELIVERY_ALLOWED_CIDRS does not allow: it is exempt, being the
    // operator's. receiver.test is a receiver the guard allows; sneaky.test resolves to an
    // address it denies.
    proxy = await startTinyproxy('127.0.0.3');
    dns = await startDnsServer({ 'receiver.test': '127.0.0.1', 'sneaky.test': '127.0.0.2' }, []);
    plain = await startReceiver();
    secure = await startHttpsReceiver();
    t = await createTestApp(kind, {
      DELIVERY_PROXY: proxy.url,
      DELIVERY_ALLOWED_CIDRS: '127.0.0.1/32',
      DNS_SERVERS: dns.address,
      DELIVERY_RETRY_SCHEDULE: '10m',
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([proxy?.close(), dns?.close(), plain?.close(), secure?.close()]);
  });

  const goLive = async () => {
    const channel = await createChannel(t);
    expect((await ingest(t, channel.streamKey, 'publish')).status).toBe(200);
    return channel;
  };
  const deliveriesOf = async (webhookId: string) =>
    (await t.request('GET', `/v1/webhook/${webhookId}/deliveries`)).body.data as {
      status: string;
      lastError: string | null;
    }[];

  it('sends an http callback through the proxy, by name, signed as ever', async () => {
    const hook = await createWebhook(t, {
      uri: `http://localhost:${plain.port}/via-proxy`,
      event: 'channel_live',
    });
    const channel = await goLive();
    await eventually(async () => plain.received.length >= 1);
    const [request] = plain.received;
    expect(request.path).toBe('/via-proxy');
    expect(request.json).toMatchObject({ event: 'channel_live', id: channel.id });
    expect(verifySignature(hook.secret, request)).toEqual(request.json);
    // tinyproxy says it carried it, and says so to the receiver too
    expect(request.headers.via).toMatch(/tinyproxy/);
    expect(proxy.requests()).toContain(`POST http://localhost:${plain.port}/via-proxy HTTP/1.1`);
    await t.request('DELETE', `/v1/webhook/${hook.id}`);
  });

  it('sends an https callback through a CONNECT tunnel to the address the guard checked, the name for TLS', async () => {
    const hook = await createWebhook(t, {
      uri: `https://receiver.test:${secure.port}/tls`,
      event: 'channel_live',
    });
    await goLive();
    await eventually(async () => secure.received.length >= 1);
    expect(secure.received[0].path).toBe('/tls');
    expect(secure.received[0].headers.host).toBe(`receiver.test:${secure.port}`);
    expect(proxy.requests()).toContain(`CONNECT 127.0.0.1:${secure.port} HTTP/1.1`);
    expect(proxy.requests().some((line) => line.includes('receiver.test'))).toBe(false);
    await eventually(async () => (await deliveriesOf(hook.id))[0]?.status === 'succeeded');
    await t.request('DELETE', `/v1/webhook/${hook.id}`);
  });

  it('still lets the guard judge where a callback goes: a name resolving to a denied address never reaches the proxy', async () => {
    const http = await createWebhook(t, {
      uri: `http://sneaky.test:${plain.port}/denied`,
      event: 'channel_live',
    });
    const https = await createWebhook(t, {
      uri: `https://sneaky.test:${secure.port}/denied`,
      event: 'channel_live',
    });
    await goLive();
    for (const hook of [http, https]) {
      await eventually(async () => (await deliveriesOf(hook.id))[0]?.lastError != null);
      expect((await deliveriesOf(hook.id))[0].lastError).toMatch(
        /destination denied: sneaky\.test → 127\.0\.0\.2 is/,
      );
    }
    expect(
      proxy.requests().some((line) => line.includes('sneaky') || line.includes('127.0.0.2')),
    ).toBe(false);
    expect(plain.received.some((request) => request.path === '/denied')).toBe(false);
  });
});
