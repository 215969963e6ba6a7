import type { LoggerService } from '@nestjs/common';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { Transactions } from '../src/database/transactions.js';
import { WebhookRepository } from '../src/webhook/webhook.repository.js';
import { DENIED_DESTINATIONS } from './fixtures/denied-destinations.js';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import { databaseKinds } from './helpers/databases.js';
import { startReceiver, type Received, type Receiver } from './helpers/receiver.js';
import { verifySignature } from './helpers/signature.js';
import { createTestApp, TEST_API_KEY, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';
import { DATA_SOURCE } from '../src/database/data-source.token.js';

const verifies = (secret: string, request: Received): boolean => {
  try {
    verifySignature(secret, request);
    return true;
  } catch {
    return false;
  }
};

describe.each(databaseKinds())('security on %s', (kind) => {
  const receivers: Receiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  describe('the SSRF guard', () => {
    let t: TestApp;
    beforeAll(async () => {
      // no DELIVERY_ALLOWED_CIDRS: loopback is as closed as any private range
      t = await createTestApp(kind, {
        DELIVERY_ALLOWED_CIDRS: '',
        DELIVERY_RETRY_SCHEDULE: '200ms',
        DELIVERY_TIMEOUT: '2s',
      });
    });
    afterAll(async () => {
      await t?.close();
    });

    it(`refuses ${DENIED_DESTINATIONS.length} denied destinations at create and at update, naming the rule`, async () => {
      const existing = await createWebhook(t, { uri: 'https://hooks.example.com/x' });
      const table: string[] = [];
      for (const [uri, rule] of DENIED_DESTINATIONS) {
        const created = await t.request('POST', '/v1/webhook', { body: { uri, event: 'all' } });
        expect(created.status, uri).toBe(400);
        expect(JSON.stringify(created.body.message), uri).toMatch(rule);
        const updated = await t.request('PUT', `/v1/webhook/${existing.id}`, { body: { uri } });
        expect(updated.status, uri).toBe(400);
        table.push(
          `| \`${uri}\` | ${created.status} | ${String(created.body.message[0]).replace(/\|/g, '\\|')} |`,
        );
      }
      expect((await t.request('GET', '/v1/webhook')).body.total).toBe(1);
      expect((await t.request('GET', `/v1/webhook/${existing.id}`)).body.uri).toBe(
        'https://hooks.example.com/x',
      );
      console.log(
        `denied destinations (${kind}):\n| destination | answer | message |\n| --- | --- | --- |\n${table.join('\n')}`,
      );
    });

    it.each([
      'ftp://example.com/x',
      'file:///etc/passwd',
      'gopher://example.com/',
      'http://example.com:99999/',
    ])('accepts only http and https on ports 1–65535: %s is a 400', async (uri) => {
      expect((await t.request('POST', '/v1/webhook', { body: { uri, event: 'all' } })).status).toBe(
        400,
      );
    });

    it('refuses at send time too: a stored loopback destination, literal or by name, is never connected to', async () => {
      const receiver = await startReceiver();
      receivers.push(receiver);
      const ids: string[] = [];
      // as if stored before the guard or through another path: bypass the API's check
      for (const uri of [
        receiver.url,
        `http://localhost:${receiver.port}/hook`,
        `http://localhost.:${receiver.port}/hook`,
        `http://[::ffff:127.0.0.1]:${receiver.port}/hook`,
      ]) {
        const id = await t.app.get(Transactions).run((manager) =>
          t.app.get(WebhookRepository).insert(manager, {
            uri,
            secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
            events: ['all'],
            now: new Date(),
          }),
        );
        ids.push(id);
      }
      const channel = await createChannel(t);
      await ingest(t, channel.streamKey, 'publish');
      for (const id of ids) {
        const [delivery] = await eventually(async () => {
          const data = (await t.request('GET', `/v1/webhook/${id}/deliveries`)).body.data;
          return data.length > 0 && data[0].status === 'failed' ? data : undefined;
        });
        expect(delivery.lastError).toMatch(/destination denied: .*loopback/);
        expect(delivery.lastStatusCode).toBeNull();
      }
      await sleep(300);
      expect(receiver.received).toEqual([]);
    });
  });

  describe('secret rotation', () => {
    it('signs with the old and the new secret during the grace period, and with the new one only after it', async () => {
      const t = await createTestApp(kind, { WEBHOOK_SECRET_GRACE: '2s' });
      try {
        const receiver = await startReceiver();
        receivers.push(receiver);
        const created = await createWebhook(t, { uri: receiver.url });
        const rotated = (await t.request('POST', `/v1/webhook/${created.id}/secret/rotate`)).body
          .secret as string;
        const storedSecrets = async () => {
          const [row] = await t.app
            .get<DataSource>(DATA_SOURCE)
            .query<{ previous: string | null; expiresAt: unknown }[]>(
              'SELECT previous_secret AS previous, previous_secret_expires_at AS expiresAt FROM webhook WHERE id = ?',
              [created.id],
            );
          return row;
        };
        const kept = await storedSecrets();
        expect(kept.previous).toBe(created.secret);
        expect(kept.expiresAt).not.toBeNull();
        await t.request('POST', `/v1/webhook/${created.id}/test`);
        await eventually(async () => receiver.received.length >= 1);
        const during = receiver.received[0];
        expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
        expect(verifies(created.secret, during)).toBe(true);
        expect(verifies(rotated, during)).toBe(true);

        await sleep(2200);
        await t.request('POST', `/v1/webhook/${created.id}/test`);
        await eventually(async () => receiver.received.length >= 2);
        const after = receiver.received[1];
        expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
        expect(verifies(created.secret, after)).toBe(false);
        expect(verifies(rotated, after)).toBe(true);
        // Once its grace is over, the old secret is erased from the database.
        await eventually(async () => (await storedSecrets()).previous === null);
        expect(await storedSecrets()).toEqual({ previous: null, expiresAt: null });
      } finally {
        await t.close();
      }
    });
  });

  describe('credentials before bodies', () => {
    it('answers 401 to a request without credentials whatever its body: too large, of another type, empty or malformed JSON', async () => {
      const t = await createTestApp(kind, { INGEST_TOKEN: 'tok' });
      try {
        const bodies: { rawBody?: string | Buffer; headers: Record<string, string> }[] = [
          {
            rawBody: Buffer.alloc(2 * 1024 * 1024, 'a'),
            headers: { 'content-type': 'application/json' },
          },
          { rawBody: 'x', headers: { 'content-type': 'text/plain' } },
          { rawBody: '', headers: { 'content-type': 'application/json' } },
          { rawBody: '{"uri":', headers: { 'content-type': 'application/json' } },
          { rawBody: undefined, headers: { 'content-type': 'application/json' } },
        ];
        const routes: [string, string][] = [
          ['POST', '/v1/webhook'],
          ['PUT', '/v1/webhook/1'],
          ['DELETE', '/v1/webhook/1'],
          ['POST', '/v1/channel/1/end'],
          ['POST', '/v1/ingest/events'],
          ['POST', '/v1/ingest/nginx-rtmp/publish'],
          ['POST', '/v1/ingest/srs'],
        ];
        for (const [method, path] of routes) {
          for (const [index, body] of bodies.entries()) {
            const answer = await t.request(method, path, { ...body, apiKey: false });
            expect(answer.status, `${method} ${path} body ${index}`).toBe(401);
            expect(answer.headers.get('x-request-id')).toBeTruthy();
            if (path === '/v1/ingest/srs') expect(answer.body.code).toBe(401);
          }
        }
        // With credentials, the body is judged as before.
        const big = await t.request('POST', '/v1/webhook', bodies[0]);
        expect(big.status).toBe(413);
        expect((await t.request('POST', '/v1/webhook', bodies[1])).status).toBe(415);
      } finally {
        await t.close();
      }
    });

    it('answers 401 before the body on every spelling of a path that reaches a route', async () => {
      const t = await createTestApp(kind, { INGEST_TOKEN: 'tok' });
      try {
        // The router takes percent-encoded spellings as the routes themselves.
        const spellings: [string, string, number][] = [
          ['POST', '/v1/webhook', 401],
          ['POST', '/%761/webhook', 401],
          ['POST', '/v1/%77ebhook', 401],
          ['POST', '/%76%31/%77%65%62%68%6F%6F%6B', 401],
          ['POST', '/%761/%77ebhook?event=all', 401],
          ['PUT', '/v1/webhook/%31', 401],
          ['POST', '/v1/%63hannel', 401],
          ['POST', '/v1/channel/1/%65nd', 401],
          ['POST', '/v1/%69ngest/events', 401],
          ['POST', '/%761/ingest/nginx-rtmp/publish', 401],
          ['POST', '/v1/ingest/%73rs', 401],
          // under /v1 but no route's: refused before the body all the same
          ['POST', '/v1//webhook', 401],
          ['POST', '/v1/webhook/', 401],
          ['POST', '/v1/WEBHOOK', 401],
        ];
        for (const [method, path, status] of spellings) {
          const answer = await answerBeforeBody(t.baseUrl, method, path);
          expect(answer.status, `${method} ${path}`).toBe(status);
          if (path.includes('s%72s') || path.includes('%73rs'))
            expect(JSON.parse(answer.text).code).toBe(401);
        }
        // Spellings the router takes for no route, even with a key: nothing is served.
        for (const path of ['//v1/webhook', '/V1/webhook', '/v1//webhook', '/v1/webhook/']) {
          const answer = await t.request('POST', path, {
            body: { uri: 'https://hooks.example.com/x', event: 'all' },
          });
          expect(answer.status, path).toBe(404);
        }
        // The encoded spellings are the routes themselves: with credentials they are served.
        const created = await t.request('POST', '/%761/%77ebhook', {
          body: { uri: 'https://hooks.example.com/x', event: 'all' },
        });
        expect(created.status).toBe(201);
        const hook = await t.request('POST', '/v1/%69ngest/events?token=tok', {
          body: { streamKey: 'unknown', action: 'publish' },
          apiKey: false,
        });
        expect(hook.status).toBe(403);
      } finally {
        await t.close();
      }
    });
  });

  describe('rate limits', () => {
    it('answers 429 with Retry-After past RATE_LIMIT_API for one key, not for another', async () => {
      const t = await createTestApp(kind, { API_KEYS: 'key-one,key-two', RATE_LIMIT_API: '5/1m' });
      try {
        const answers = [];
        for (let i = 0; i < 7; i++)
          answers.push(await t.request('GET', '/v1/webhook', { apiKey: 'key-one' }));
        expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
        expect(Number(answers[5].headers.get('retry-after'))).toBeGreaterThan(0);
        expect(answers[5].body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
        expect((await t.request('GET', '/v1/webhook', { apiKey: 'key-two' })).status).toBe(200);
      } finally {
        await t.close();
      }
    });

    it('answers 429 with Retry-After to a publisher past RATE_LIMIT_INGEST_DENIALS, never to an unpublish', async () => {
      const t = await createTestApp(kind, {
        INGEST_TOKEN: 'tok',
        RATE_LIMIT_INGEST_DENIALS: '3/1m',
      });
      try {
        const live = await createChannel(t);
        expect((await ingest(t, live.streamKey, 'publish', 'tok')).status).toBe(200);
        const nginx = (name: string, addr: string, route = 'publish') =>
          t.request('POST', `/v1/ingest/nginx-rtmp/${route}?token=tok`, {
            rawBody: new URLSearchParams({ call: route, name, addr, app: 'live' }).toString(),
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            apiKey: false,
          });
        // a publisher guessing keys through nginx: counted against the publisher, not nginx
        for (const guess of ['guess-1', 'guess-2', 'guess-3'])
          expect((await nginx(guess, '203.0.113.9')).status).toBe(403);
        const channel = await createChannel(t);
        const blocked = await nginx(channel.streamKey, '203.0.113.9');
        expect(blocked.status).toBe(429);
        expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(blocked.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
        expect((await t.request('GET', `/v1/channel/${channel.id}`)).body.status).toBe('idle');
        // other publishers through the same nginx, and every stop, still get through
        expect((await nginx(channel.streamKey, '198.51.100.7')).status).toBe(200);
        expect((await nginx(live.streamKey, '203.0.113.9', 'publish_done')).status).toBe(200);
        expect((await t.request('GET', `/v1/channel/${live.id}`)).body.status).toBe('stopped');

        // wrong tokens count against the caller's own address, and only its wrong tokens are
        // refused: the right token from that address still gets through
        for (let i = 0; i < 3; i++)
          expect((await ingest(t, 'k', 'publish', 'wrong')).status).toBe(401);
        const tokenBlocked = await ingest(t, channel.streamKey, 'publish', 'wrong');
        expect(tokenBlocked.status).toBe(429);
        expect(Number(tokenBlocked.headers.get('retry-after'))).toBeGreaterThan(0);
        expect((await ingest(t, channel.streamKey, 'unpublish', 'tok')).body).toEqual({
          outcome: 'stopped',
        });
        expect((await ingest(t, channel.streamKey, 'publish', 'tok')).body).toEqual({
          outcome: 'live',
        });
        expect((await ingest(t, channel.streamKey, 'unpublish', 'other-guess')).status).toBe(429);
        // the API itself is not blocked for that address
        expect((await t.request('GET', '/v1/channel')).status).toBe(200);
      } finally {
        await t.close();
      }
    });

    it('keys the limits on the forwarded client address when TRUST_PROXY names the proxy', async () => {
      const env = {
        INGEST_TOKEN: 'tok',
        RATE_LIMIT_INGEST_DENIALS: '3/1m',
        API_KEYS: '',
        RATE_LIMIT_API: '3/1m',
      };
      const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });
      const guess = (t: TestApp, address: string, token = 'wrong') =>
        t.request('POST', `/v1/ingest/events?token=${token}`, {
          body: { streamKey: 'k', action: 'update' },
          apiKey: false,
          ...from(address),
        });
      // The test's requests come from 127.0.0.1: the proxy, forwarding for A and B.
      const A = '203.0.113.10';
      const B = '198.51.100.20';
      const trusted = await createTestApp(kind, { ...env, TRUST_PROXY: '127.0.0.1' });
      try {
        const answers = [];
        for (let i = 0; i < 4; i++) answers.push((await guess(trusted, A)).status);
        expect(answers).toEqual([401, 401, 401, 429]);
        expect((await guess(trusted, B)).status).toBe(401);
        expect((await guess(trusted, A, 'tok')).status).toBe(200);
        // the API's limit per address (no API keys) follows the forwarded address too
        const reads = [];
        for (let i = 0; i < 4; i++)
          reads.push((await trusted.request('GET', '/v1/channel', from(A))).status);
        expect(reads).toEqual([200, 200, 200, 429]);
        expect((await trusted.request('GET', '/v1/channel', from(B))).status).toBe(200);
      } finally {
        await trusted.close();
      }
      // Without it the header is the caller's to write, and ignored: A's guesses block B.
      const direct = await createTestApp(kind, env);
      try {
        for (let i = 0; i < 3; i++) expect((await guess(direct, A)).status).toBe(401);
        expect((await guess(direct, B)).status).toBe(429);
      } finally {
        await direct.close();
      }
    });
  });

  describe('no leaks', () => {
    it("never shows a secret, stream key, API key, ingest token or a webhook's header value in logs, answers or callbacks", async () => {
      const lines: string[] = [];
      const capture: LoggerService = {
        log: (...args: unknown[]) => lines.push(JSON.stringify(args)),
        error: (...args: unknown[]) => lines.push(JSON.stringify(args)),
        warn: (...args: unknown[]) => lines.push(JSON.stringify(args)),
        debug: (...args: unknown[]) => lines.push(JSON.stringify(args)),
        verbose: (...args: unknown[]) => lines.push(JSON.stringify(args)),
        fatal: (...args: unknown[]) => lines.push(JSON.stringify(args)),
      };
      const token = 'ingest-token-never-logged';
      const t = await createTestApp(
        kind,
        { INGEST_TOKEN: token, DELIVERY_RETRY_SCHEDULE: '100ms', LOG_LEVEL: 'trace' },
        undefined,
        capture,
      );
      const answers: string[] = [];
      try {
        const failing = await startReceiver((request) =>
          request.index % 2 ? {} : { status: 500, body: 'nope' },
        );
        receivers.push(failing);
        const receiverCredential = 'Bearer receiver-credential-never-logged';
        const created = await t.request('POST', '/v1/webhook', {
          body: { uri: failing.url, event: 'all', headers: { Authorization: receiverCredential } },
        });
        answers.push(created.text.replace(created.body.secret, ''));
        const webhook = created.body;
        await t.request('PUT', `/v1/webhook/${webhook.id}`, {
          body: { headers: { Authorization: receiverCredential, 'X-Bad': 'a\r\nb' } },
        });
        const own = `whsec_${Buffer.alloc(40, 7).toString('base64')}`;
        await t.request('POST', '/v1/webhook', {
          body: { uri: failing.url, event: 'channel_live', secret: own },
        });
        const rotated = (await t.request('POST', `/v1/webhook/${webhook.id}/secret/rotate`)).body
          .secret;
        const channel = await createChannel(t, { reconnectWindow: 0 });
        const rotatedKey = (await t.request('POST', `/v1/channel/${channel.id}/stream-key`)).body
          .streamKey;
        await ingest(t, rotatedKey, 'publish', token);
        await ingest(t, channel.streamKey, 'publish', token); // the old key: refused
        await ingest(t, rotatedKey, 'publish', 'bad-token');
        await ingest(t, rotatedKey, 'unpublish', token);
        await t.request('GET', '/v1/webhook', { apiKey: 'wrong-key' });
        await t.request('POST', '/v1/webhook', {
          body: { uri: failing.url, event: 'all', secret: 'whsec_short' },
        });
        await eventually(async () => failing.received.length >= 4);
        await sleep(500);
        // It went out, with every attempt to that webhook: sent, yet never logged or answered.
        expect(
          failing.received.filter((request) => request.headers.authorization === receiverCredential)
            .length,
        ).toBeGreaterThanOrEqual(2);
        for (const path of [
          '/v1/webhook?length=100',
          `/v1/webhook/${webhook.id}`,
          '/v1/channel?length=100',
          `/v1/channel/${channel.id}`,
        ]) {
          answers.push((await t.request('GET', path)).text);
        }
        const deliveries = (await t.request('GET', `/v1/webhook/${webhook.id}/deliveries`)).body
          .data;
        answers.push(JSON.stringify(deliveries));
        for (const delivery of deliveries) {
          answers.push(
            (await t.request('GET', `/v1/webhook/${webhook.id}/deliveries/${delivery.id}`)).text,
          );
        }
        const secrets = [
          webhook.secret,
          own,
          rotated,
          channel.streamKey,
          rotatedKey,
          TEST_API_KEY,
          token,
          receiverCredential,
        ];
        const callbacks = failing.received.map((request) => request.body);
        expect(lines.length).toBeGreaterThan(5);
        for (const secret of secrets) {
          for (const text of [...lines, ...answers, ...callbacks])
            expect(text).not.toContain(secret);
        }
        for (const text of answers) expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
      } finally {
        await t.close();
      }
    });
  });
});

/**
 * Sends `method path` with a 512 KiB JSON body of which only the first KiB is written, and no
 * credentials, and waits for the answer: one that comes was given before the body was read.
 */
function answerBeforeBody(
  baseUrl: string,
  method: string,
  path: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'content-length': String(512 * 1024) },
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
        request.destroy();
      });
    });
    request.on('error', reject);
    request.setTimeout(20_000, () =>
      request.destroy(new Error(`${method} ${path}: no answer before the body was sent`)),
    );
    request.write(`{"uri":"${'a'.repeat(1000)}`);
  });
}
