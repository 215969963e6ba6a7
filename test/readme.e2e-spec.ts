import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel } from './helpers/channels.js';
import { brokenLinks, docBlocks, DOCS, markdownFiles } from './helpers/readme.js';
import { freePort, PROJECT_ROOT } from './helpers/spawn-app.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

const run = promisify(execFile);

/**
 * The answers a block shows: `# {…}` comment lines (continued by `#  …` lines), with `…` standing
 * for anything, as patterns to find in what the block printed.
 */
function shownAnswers(code: string): { text: string; pattern: RegExp }[] {
  const answers: string[] = [];
  for (const line of code.split('\n')) {
    if (/^# [{[]/.test(line)) answers.push(line.slice(2));
    else if (/^# {2}/.test(line) && answers.length > 0)
      answers[answers.length - 1] += line.slice(1).trim();
  }
  return answers.map((text) => ({
    text,
    pattern: new RegExp(
      text
        .split('…')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*?'),
    ),
  }));
}

const onPort = (code: string, port: number) =>
  code.replace(/(localhost|127\.0\.0\.1):3000/g, `$1:${port}`);

describe('the docs, followed as written', () => {
  let t: TestApp;
  let folder: string;
  const shellBlocks = (path: string) =>
    docBlocks(path).filter((block) => block.lang === 'sh' && !block.skipped);
  const runnable = DOCS.filter((path) => shellBlocks(path).length > 0);

  beforeAll(async () => {
    // the settings the docs start the service with
    t = await createTestApp('sqlite', { API_KEYS: 'my-key', INGEST_TOKEN: 'my-ingest-token' });
    folder = mkdtempSync(join(tmpdir(), 'cw-readme-'));
  });

  afterAll(async () => {
    await t?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('lists every page of the project, and every example block is in one of them', () => {
    expect([...markdownFiles()].sort()).toEqual([...DOCS].sort());
    expect(DOCS.flatMap((path) => shellBlocks(path)).length).toBeGreaterThanOrEqual(4);
  });

  it.each(DOCS)('%s: every relative link leads to a page and a heading that exist', (path) => {
    expect(brokenLinks(path)).toEqual([]);
  });

  // one shell session per page, on the one service, the pages in DOCS order
  it.each(runnable)(
    '%s: runs every shell block top to bottom, each answer as shown',
    async (path) => {
      const shell = shellBlocks(path);
      const port = Number(new URL(t.baseUrl).port);
      const where = join(folder, path.replace(/\W/g, '-'));
      mkdirSync(where, { recursive: true });
      // every curl fails the run on an HTTP error, and ends its answer with a new line
      const script = [
        'set -euo pipefail',
        'curl() { command curl --fail-with-body "$@"; echo; }',
        ...shell.flatMap((block, index) => [`echo '::block ${index}::'`, onPort(block.code, port)]),
      ].join('\n');
      const { stdout } = await run('bash', ['-c', script], { cwd: where, timeout: 60_000 }).catch(
        (error: { stdout: string; stderr: string }) => {
          throw new Error(
            `a block of ${path} failed:\n${error.stdout.split('::block ').at(-1)}\n${error.stderr}`,
          );
        },
      );
      const outputs = stdout.split(/::block \d+::\n/).slice(1);
      expect(outputs).toHaveLength(shell.length);
      shell.forEach((block, index) => {
        for (const answer of shownAnswers(block.code)) {
          expect(outputs[index], `${path} shows ${answer.text}`).toMatch(answer.pattern);
        }
      });
    },
  );

  describe.each([
    ['js', 'receiver.mjs', () => [process.execPath]],
    ['python', 'receiver.py', () => ['python3']],
  ])('its %s receiver ("Verifying callbacks")', (lang, file, command) => {
    let receiver: ChildProcess;
    let printed = '';

    afterAll(() => receiver?.kill());

    it('verifies real callbacks, and refuses a forged or replayed one', async () => {
      const [example] = docBlocks('docs/receiving.md').filter(
        (block) => block.section === 'Verifying callbacks' && block.lang === lang,
      );
      expect(example).toBeDefined();
      // inside the project, so `standardwebhooks` resolves from its node_modules
      const where = join(PROJECT_ROOT, 'test', 'artifacts', 'readme');
      mkdirSync(where, { recursive: true });
      writeFileSync(join(where, file), example.code);

      const created = await createWebhook(t, { uri: 'http://127.0.0.1:1/placeholder' });
      const port = await freePort();
      const [program, ...args] = command();
      receiver = spawn(program, [...args, join(where, file)], {
        env: { ...process.env, WEBHOOK_SECRET: created.secret, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      receiver.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
      const url = `http://127.0.0.1:${port}/hooks`;
      await expect
        .poll(() => fetch(url, { method: 'POST', body: '{}' }).then((r) => r.status), {
          timeout: 15_000,
        })
        .toBe(401);
      await t.request('PUT', `/v1/webhook/${created.id}`, { body: { uri: url } });

      // a channel event and a test ping, signed by the service
      const channel = await createChannel(t, { name: lang });
      const live = await t.request('POST', '/v1/ingest/events?token=my-ingest-token', {
        body: { streamKey: channel.streamKey, action: 'publish' },
        apiKey: false,
      });
      expect(live.status).toBe(200);
      const ping = await t.request('POST', `/v1/webhook/${created.id}/test`);
      await expect.poll(() => printed, { timeout: 20_000 }).toContain('verified ping');
      expect(printed).toContain('verified channel_live #1 msg_');

      // a channel event two numbers on from the last one seen: the receiver tells of the gap
      const { Webhook } = await import('standardwebhooks');
      const skipped = JSON.stringify({
        event: 'channel_stop',
        eventTime: Date.now(),
        sequence: 3,
        id: channel.id,
      });
      const signedAt = new Date();
      const gap = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': 'msg_skipped',
          'webhook-timestamp': String(Math.floor(signedAt.getTime() / 1000)),
          'webhook-signature': new Webhook(created.secret).sign('msg_skipped', signedAt, skipped),
        },
        body: skipped,
      });
      expect(gap.status).toBe(204);
      await expect
        .poll(() => printed, { timeout: 5_000 })
        .toContain(`channel ${channel.id}: 1 event(s) missing before #3`);
      const log = await t.request('GET', `/v1/webhook/${created.id}/deliveries/${ping.body.id}`);
      expect(log.body.status).toBe('succeeded');
      expect(printed).toContain(log.body.messageId);

      // a forged signature, and a good one replayed ten minutes later, are refused
      const body = JSON.stringify({ event: 'ping', eventTime: Date.now(), webhookId: '1' });
      const now = Math.floor(Date.now() / 1000);
      const forged = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': 'msg_forged',
          'webhook-timestamp': String(now),
          'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        },
        body,
      });
      expect(forged.status).toBe(401);
      const old = new Date((now - 600) * 1000);
      const replayed = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': 'msg_replayed',
          'webhook-timestamp': String(now - 600),
          'webhook-signature': new Webhook(created.secret).sign('msg_replayed', old, body),
        },
        body,
      });
      expect(replayed.status).toBe(401);
      expect(printed).not.toContain('msg_forged');
      expect(printed).not.toContain('msg_replayed');
    });
  });
});
