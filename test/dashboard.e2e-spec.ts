import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, eventually, ingest, sleep } from './helpers/channels.js';
import type { DatabaseKind } from './helpers/databases.js';
import { startReceiver, type Receiver } from './helpers/receiver.js';
import { createTestApp, TEST_API_KEY, type TestApp } from './helpers/test-app.js';

/**
 * The delivery dashboard and Swagger UI in a real Chromium. vitest.e2e.config.ts runs it when
 * TEST_BROWSER=1 (CI installs Debian's chromium and sets it); the browser matters, not the
 * database, so SQLite only.
 */
const kinds: DatabaseKind[] = ['sqlite'];

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));

// Shown in the attempt log: must appear as text, never become an element or run.
const HOSTILE_BODY = '<img src=x onerror="window.__injected=1"><b>broken</b>';

/** Polls the text of `locator` until it matches; on timeout, fails showing what was there. */
async function expectText(locator: Locator, expected: string | RegExp, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let actual: string | undefined;
  for (;;) {
    actual = (await locator.textContent({ timeout: 1_000 }).catch(() => null))?.trim();
    const matches =
      actual !== undefined &&
      (typeof expected === 'string' ? actual === expected : expected.test(actual));
    if (matches || Date.now() > deadline) break;
    await sleep(100);
  }
  if (typeof expected === 'string') expect(actual, String(locator)).toBe(expected);
  else expect(actual, String(locator)).toMatch(expected);
}

async function expectCount(locator: Locator, count: number, timeoutMs = 20_000) {
  await eventually(async () => (await locator.count()) === count, timeoutMs).catch(() => undefined);
  expect(await locator.count(), String(locator)).toBe(count);
}

describe.each(kinds)('dashboard and Swagger UI in Chromium on %s', (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let answer = 500;

  /** A fresh page that records what would otherwise go unnoticed: errors and where it connects. */
  const openPage = async () => {
    context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: { url: string; authorization?: string }[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page: ${error.message}`));
    page.on('request', (request) =>
      requests.push({ url: request.url(), authorization: request.headers().authorization }),
    );
    return { page, problems, requests };
  };

  const screenshot = (page: Page, name: string) =>
    page.screenshot({ path: `${ARTIFACTS}${name}`, fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    receiver = await startReceiver(() =>
      answer === 200 ? { status: 200, body: 'thanks' } : { status: answer, body: HOSTILE_BODY },
    );
    t = await createTestApp(kind, {
      DELIVERY_RETRY_SCHEDULE: '200ms',
      DELIVERY_RETRY_JITTER: '0',
      DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await receiver?.close();
  });

  it('shows a failed delivery, redelivers it, and shows it succeed', async () => {
    const created = await t.request('POST', '/v1/webhook', {
      body: { uri: receiver.url, event: 'channel_live' },
    });
    expect(created.status, created.text).toBe(201);
    const hook = created.body as { id: string };
    const channel = await createChannel(t);
    expect((await ingest(t, channel.streamKey, 'publish')).status).toBe(200);
    const failed = await eventually(async () => {
      const [delivery] = (await t.request('GET', `/v1/webhook/${hook.id}/deliveries`)).body.data;
      return delivery?.status === 'failed' ? (delivery as { id: string; attempts: number }) : false;
    });
    expect(failed.attempts).toBe(2);

    const { page, problems, requests } = await openPage();
    const loaded = await page.goto(`${t.baseUrl}/dashboard`);
    expect(loaded?.status()).toBe(200);
    expect(loaded?.headers()['content-type']).toMatch(/^text\/html/);
    expect(loaded?.headers()['content-security-policy']).toMatch(/default-src 'self'/);

    // A wrong key is refused and asked for again.
    await page.getByTestId('api-key-input').fill('not-the-key');
    await page.getByTestId('api-key-submit').click();
    await expectText(page.getByTestId('notice'), /refused/);
    expect(await page.getByTestId('login').isVisible()).toBe(true);
    expect(problems).toEqual([expect.stringMatching(/status of 401/)]);
    problems.length = 0;

    await page.getByTestId('api-key-input').fill(TEST_API_KEY);
    await page.getByTestId('api-key-submit').click();
    const row = page.locator(`[data-testid="webhook-row"][data-webhook-id="${hook.id}"]`);
    await expectText(row.getByTestId('webhook-open'), receiver.url);
    await expectText(row.getByTestId('webhook-events'), /channel_live/);
    await expectText(row.getByTestId('webhook-active'), 'active');
    await expectText(row.getByTestId('success-rate'), /^0% \(0\/1\)/);
    await expectText(row.getByTestId('latency-summary'), /^p50 \d+ ms/);
    expect(await row.getByTestId('success-chart').getAttribute('data-failed')).toBe('1');
    expect(await row.getByTestId('latency-chart').getAttribute('data-attempts')).toBe('2');

    await row.getByTestId('webhook-open').click();
    const delivery = page.locator(`[data-testid="delivery-row"][data-delivery-id="${failed.id}"]`);
    await expectText(delivery.getByTestId('delivery-status'), 'failed');
    await expectText(delivery.getByTestId('delivery-event'), 'channel_live');
    await expectText(delivery.getByTestId('delivery-channel'), channel.id);
    await expectText(delivery.getByTestId('delivery-attempts'), '2');
    await expectText(delivery.getByTestId('delivery-status-code'), '500');
    await expectText(delivery.getByTestId('delivery-error'), 'HTTP 500');

    await delivery.getByTestId('delivery-open').click();
    const detail = page.getByTestId('delivery-detail');
    await expectText(detail.getByTestId('detail-status'), 'failed');
    const attempts = detail.getByTestId('attempt-row');
    await expectCount(attempts, 2);
    await expectText(attempts.first().getByTestId('attempt-status-code'), '500');
    await expectText(attempts.first().getByTestId('attempt-duration'), /^(\d+ ms|\d+\.\d\d s)$/);
    await expectText(attempts.first().getByTestId('attempt-response'), HOSTILE_BODY);
    expect(await detail.locator('img, b').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __injected?: number }).__injected)).toBe(
      undefined,
    );
    const shown = JSON.parse((await detail.getByTestId('payload').textContent()) ?? '');
    expect(shown).toEqual(receiver.received[0].json);
    expect(shown).toMatchObject({ event: 'channel_live', id: channel.id });
    await screenshot(page, 'dashboard-failed.png');

    answer = 200;
    await detail.getByTestId('redeliver').click();
    await expectText(delivery.getByTestId('delivery-status'), 'succeeded');
    await expectText(delivery.getByTestId('delivery-attempts'), '3');
    await expectText(delivery.getByTestId('delivery-status-code'), '200');
    await expectText(detail.getByTestId('detail-status'), 'succeeded');
    await expectCount(attempts, 3);
    await expectText(attempts.last().getByTestId('attempt-status-code'), '200');
    await expectText(row.getByTestId('success-rate'), /^100% \(1\/1\)/);
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const [after] = (await t.request('GET', `/v1/webhook/${hook.id}/deliveries`)).body.data;
    expect(after).toMatchObject({ id: failed.id, status: 'succeeded', attempts: 3 });
    await screenshot(page, 'dashboard-redelivered.png');

    await page.getByTestId('send-test').click();
    const ping = page.locator('[data-testid="delivery-row"]', {
      has: page.locator('[data-testid="delivery-event"]', { hasText: 'ping' }),
    });
    await expectText(ping.getByTestId('delivery-status'), 'succeeded');
    await expectText(detail.getByTestId('detail-status'), 'succeeded');
    expect(receiver.received.at(-1)?.json).toMatchObject({ event: 'ping', webhookId: hook.id });
    await expectText(row.getByTestId('success-rate'), /^100% \(2\/2\)/);

    // The key lives in this tab's sessionStorage: a reload keeps it and the address the view.
    await page.reload();
    await expectText(detail.getByTestId('detail-status'), 'succeeded');
    await expectText(detail.getByTestId('delivery-summary'), /ping/);
    expect(await page.evaluate('localStorage.length')).toBe(0);

    expect(problems).toEqual([]);
    // The key stays on this origin, and only the page's own files are loaded without it.
    for (const request of requests) {
      expect(new URL(request.url).origin, request.url).toBe(t.baseUrl);
      const path = new URL(request.url).pathname;
      if (path.startsWith('/v1/') && !request.authorization?.endsWith('not-the-key'))
        expect(request.authorization, path).toBe(`Bearer ${TEST_API_KEY}`);
      if (path.startsWith('/dashboard')) expect(request.authorization, path).toBeUndefined();
    }
    expect(requests.some((request) => request.url.endsWith('/redeliver'))).toBe(true);
  });

  it('serves the page files with their content types and the policy, without a key', async () => {
    for (const [path, type] of [
      ['/dashboard', 'text/html'],
      ['/dashboard/app.js', 'text/javascript'],
      ['/dashboard/style.css', 'text/css'],
    ]) {
      const response = await fetch(`${t.baseUrl}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(new RegExp(`^${type}`));
      expect(response.headers.get('content-security-policy'), path).toMatch(/default-src 'self'/);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      // An unread body keeps its connection busy, and closing the app would wait it out.
      expect((await response.text()).length, path).toBeGreaterThan(0);
    }
    const doc = (await (await fetch(`${t.baseUrl}/docs-json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/dashboard'))).toEqual([]);
  });

  it('lets Swagger UI authorize with a key and run "List webhooks"', async () => {
    const { page } = await openPage();
    expect((await page.goto(`${t.baseUrl}/docs`))?.status()).toBe(200);
    await page.locator('.auth-wrapper button.authorize').click();
    const modal = page.locator('.modal-ux');
    // one form per security scheme: the API key's
    const apiKey = modal.locator('form', { hasText: 'api-key' });
    await apiKey.locator('input').first().fill(TEST_API_KEY);
    await apiKey.locator('button.authorize[type="submit"]').click();
    await modal.locator('button.btn-done').first().click();

    const list = page.locator('.opblock-get', {
      has: page.locator('.opblock-summary-path[data-path="/v1/webhook"]'),
    });
    await list.locator('.opblock-summary').click();
    await list.locator('button.try-out__btn').click();
    await list.locator('button.execute').click();
    const live = list.locator('.live-responses-table');
    await expectText(live.locator('tbody .response-col_status').first(), '200');
    await expectText(live.locator('tbody .response-col_description pre').first(), /"total"/);
    await expectText(list.locator('.curl-command, .curl').first(), /Authorization: Bearer/);
    await live.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}swagger.png` });
  });
});
