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
import { receiverPool, type Receiver } from './helpers/receiver.js';
import { createTestApp, TEST_API_KEY, type TestApp } from './helpers/test-app.js';
import { createWebhook } from './helpers/webhooks.js';

/**
 * The operator console and Swagger UI in a real Chromium, against the real service and loopback
 * receivers that succeed and fail. vitest.e2e.config.ts runs it when TEST_BROWSER=1 (CI installs
 * Debian's chromium and sets it); the browser matters, not the database, so SQLite only.
 * The screenshots of the main views go to docs/screenshots/, which docs/operations.md shows, only
 * when asked (UPDATE_SCREENSHOTS=1); otherwise to test/artifacts/screenshots/, which git ignores,
 * so that a run leaves the tree as it found it.
 */
const kinds: DatabaseKind[] = ['sqlite'];

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const SCREENSHOTS = fileURLToPath(
  new URL(
    process.env.UPDATE_SCREENSHOTS === '1' ? '../docs/screenshots/' : './artifacts/screenshots/',
    import.meta.url,
  ),
);
const WIDE = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

// Shown in the attempt log: must appear as text, never become an element or run.
const HOSTILE_BODY = '<img src=x onerror="window.__injected=1"><b>broken</b>';

/** Polls the text of `locator` until it matches; on timeout, fails showing what was there. */
async function expectText(locator: Locator, expected: string | RegExp, timeoutMs = 15_000) {
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

/**
 * Waits until the view shows the page's current address, rendered (a search or a link changes the
 * address first; the view it replaces may have as many rows as the one awaited), then for `count`.
 */
async function expectCount(locator: Locator, count: number, timeoutMs = 15_000) {
  const shown = () =>
    locator
      .page()
      .evaluate<boolean>(
        "(() => { const view = document.getElementById('view');" +
          " return view?.dataset.shown === location.hash && !view.hasAttribute('aria-busy'); })()",
      );
  await eventually(
    async () => (await shown()) && (await locator.count()) === count,
    timeoutMs,
  ).catch(() => undefined);
  expect(await locator.count(), String(locator)).toBe(count);
}

/** The data-webhook-id of the overview's cards, top to bottom. */
const cardOrder = (page: Page) =>
  page
    .getByTestId('webhook-row')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-webhook-id')));

describe.each(kinds)('operator console and Swagger UI in Chromium on %s', (kind) => {
  let t: TestApp;
  const receivers = receiverPool();
  let ok: Receiver;
  let failing: Receiver;
  let gone: Receiver;
  /** What the failing receiver answers; the tests turn it to 200 to see a recovery. */
  let failingAnswer = 500;
  let browser: Browser;
  let context: BrowserContext | undefined;

  /** A fresh page that records what would otherwise go unnoticed: errors and where it connects. */
  const openPage = async (options: { signedIn?: boolean; viewport?: typeof WIDE } = {}) => {
    context = await browser.newContext({ viewport: options.viewport ?? WIDE });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: t.baseUrl,
    });
    if (options.signedIn !== false)
      await context.addInitScript(
        `sessionStorage.setItem('channel-webhooks.dashboard.api-key', ${JSON.stringify(TEST_API_KEY)})`,
      );
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: { url: string; method: string; authorization?: string }[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page: ${error.message}`));
    page.on('request', (request) =>
      requests.push({
        url: request.url(),
        method: request.method(),
        authorization: request.headers().authorization,
      }),
    );
    return { page, problems, requests };
  };

  const screenshot = (page: Page, name: string, fullPage = true) =>
    page.screenshot({ path: `${SCREENSHOTS}${name}`, fullPage });

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await t.request(method, path, body === undefined ? {} : { body });
    expect(response.status, `${method} ${path}: ${response.text}`).toBeLessThan(300);
    return response.body;
  };

  const deliveriesOf = async (webhookId: string) =>
    (await api('GET', `/v1/webhook/${webhookId}/deliveries?length=100`)).data as {
      id: string;
      event: string;
      status: string;
      attempts: number;
      channelId: string | null;
      messageId: string;
    }[];

  /** Webhooks made by the first test, the others build on them. */
  const hooks = {} as Record<'healthy' | 'failing' | 'disabled' | 'paused', string>;
  let channel: { id: string; streamKey: string };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
    ok = await receivers.start(() => ({ status: 200, body: 'thanks' }));
    failing = await receivers.start(() =>
      failingAnswer === 200
        ? { status: 200, body: 'back again' }
        : {
            status: failingAnswer,
            headers: { 'x-receiver': 'failing-one' },
            body: HOSTILE_BODY,
          },
    );
    gone = await receivers.start(() => ({ status: 410, body: 'no such hook' }));
    // One attempt, then a retry an hour later: a failing receiver stays failing while the test
    // runs, and a redelivery is its last attempt.
    t = await createTestApp(kind, {
      DELIVERY_RETRY_SCHEDULE: '1h',
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
    await receivers.closeAll();
  });

  it('shows a receiver answering 500 as failing after one attempt, failing and disabled first', async () => {
    const create = async (uri: string, extra: Record<string, unknown> = {}) =>
      (await createWebhook(t, { uri, ...extra })).id;
    hooks.healthy = await create(ok.url);
    hooks.paused = await create(`${ok.url}?paused`);
    hooks.failing = await create(failing.url, { headers: { Authorization: 'Bearer s3cret' } });
    hooks.disabled = await create(gone.url);
    await api('PUT', `/v1/webhook/${hooks.paused}`, { active: false });
    channel = await createChannel(t, { name: 'Morning show' });
    expect((await ingest(t, channel.streamKey, 'publish')).status).toBe(200);
    await eventually(async () => ok.received.length === 1 && failing.received.length === 1);
    await eventually(
      async () => (await api('GET', `/v1/webhook/${hooks.disabled}`)).active === false,
    );

    const { page, problems, requests } = await openPage({ signedIn: false });
    const loaded = await page.goto(`${t.baseUrl}/dashboard`);
    expect(loaded?.status()).toBe(200);
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

    const card = (webhookId: string) =>
      page.locator(`[data-testid="webhook-row"][data-webhook-id="${webhookId}"]`);
    const failingCard = card(hooks.failing);
    await expectText(failingCard.getByTestId('webhook-state'), 'failing');
    // One attempt so far, and the page already says so, with why and what comes next.
    expect(failing.received).toHaveLength(1);
    await expectText(failingCard.getByTestId('state-detail'), /^Failing since /);
    await expectText(failingCard.getByTestId('last-error'), 'HTTP 500');
    expect(await failingCard.getByTestId('next-retry').getAttribute('datetime')).toMatch(/Z$/);
    await expectText(failingCard.getByTestId('pending'), '1');
    await expectText(failingCard.getByTestId('success-rate'), '0% (0/1)');
    expect(await failingCard.getByTestId('attempt-chart').getAttribute('data-failed')).toBe('1');

    await expectText(card(hooks.disabled).getByTestId('webhook-state'), 'disabled');
    await expectText(card(hooks.disabled).getByTestId('disabled-reason'), /\S/);
    await expectText(card(hooks.paused).getByTestId('webhook-state'), 'paused');
    const healthy = card(hooks.healthy);
    await expectText(healthy.getByTestId('webhook-state'), 'healthy');
    await expectText(healthy.getByTestId('success-rate'), '100% (1/1)');
    await expectText(healthy.getByTestId('latency'), /^p50 \d+ ms · p95 \d+ ms$/);
    expect(await cardOrder(page)).toEqual([
      hooks.disabled,
      hooks.failing,
      hooks.paused,
      hooks.healthy,
    ]);

    // Times in the viewer's zone, the UTC instant on hover.
    const titles = await page
      .locator('time')
      .evaluateAll((times) => times.map((node) => node.getAttribute('title')));
    expect(titles.length).toBeGreaterThan(3);
    for (const title of titles) expect(title).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);

    // The window is in the address, so the view can be shared.
    await page.getByTestId('window').selectOption('7d');
    await eventually(async () => page.url().endsWith('#/?window=7d'));
    await expectText(page.getByTestId('summary-status'), /last 7 days/);
    expect(requests.some((request) => request.url.includes('/v1/webhook-summary?window=7d'))).toBe(
      true,
    );
    await page.getByTestId('window').selectOption('24h');
    await expectText(page.getByTestId('summary-status'), /last 24 hours/);
    await expectText(failingCard.getByTestId('webhook-state'), 'failing');
    await screenshot(page, 'overview.png');

    await page.setViewportSize(PHONE);
    await expectText(failingCard.getByTestId('pending'), '1');
    // Nothing wider than the phone: no sideways scrolling of the page.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      PHONE.width,
    );
    expect(await failingCard.getByTestId('pending').isVisible()).toBe(true);
    await screenshot(page, 'overview-phone.png');

    expect(problems).toEqual([]);
    // Works offline: nothing but this origin, and the key only to /v1.
    for (const request of requests) {
      expect(new URL(request.url).origin, request.url).toBe(t.baseUrl);
      const path = new URL(request.url).pathname;
      if (path.startsWith('/v1/') && !request.authorization?.endsWith('not-the-key'))
        expect(request.authorization, path).toBe(`Bearer ${TEST_API_KEY}`);
      if (path.startsWith('/dashboard')) expect(request.authorization, path).toBeUndefined();
    }
  });

  it('finds deliveries by filters kept in the address, and pages through older ones', async () => {
    // 55 pings to the healthy webhook, and the channel's events before them.
    for (let index = 0; index < 55; index++) await api('POST', `/v1/webhook/${hooks.healthy}/test`);
    await eventually(async () => ok.received.length >= 56, 20_000);
    const all = await deliveriesOf(hooks.healthy);
    const live = all.find((delivery) => delivery.event === 'channel_live');
    expect(live).toBeDefined();

    const { page, problems } = await openPage();
    await page.goto(`${t.baseUrl}/dashboard#/`);
    await page
      .locator(`[data-testid="webhook-row"][data-webhook-id="${hooks.healthy}"]`)
      .getByTestId('webhook-open')
      .click();
    await expectText(page.getByTestId('webhook-uri'), ok.url);
    const rows = page.getByTestId('delivery-row');
    await expectCount(rows, 50);
    await expectText(
      page.getByTestId('delivery-count'),
      'Showing 50 of 56 deliveries, newest first.',
    );
    await page.getByTestId('older').click();
    await expectCount(rows, 56);
    expect(await page.getByTestId('older').isVisible()).toBe(false);
    const ids = await rows.evaluateAll((nodes) =>
      nodes.map((node) => Number(node.getAttribute('data-delivery-id'))),
    );
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    // By event: the address says so, and a reload (a shared link) shows the same view.
    await page.getByTestId('filter-event').selectOption('channel_live');
    await page.getByTestId('filter-apply').click();
    await eventually(async () => page.url().includes('event=channel_live'));
    await expectCount(rows, 1);
    await expectText(rows.first().getByTestId('delivery-channel'), channel.id);
    await page.reload();
    await expectCount(rows, 1);
    expect(await page.getByTestId('filter-event').inputValue()).toBe('channel_live');

    // By channel and status together.
    await page.getByTestId('filter-event').selectOption('');
    await page.getByTestId('filter-channelId').fill(channel.id);
    await page.getByTestId('filter-status').selectOption('succeeded');
    await page.getByTestId('filter-apply').click();
    await expectCount(rows, 1);
    await page.getByTestId('filter-status').selectOption('failed');
    await page.getByTestId('filter-apply').click();
    await expectText(page.getByTestId('delivery-count'), 'No delivery matches these filters.');
    await expectCount(rows, 0);

    // By message id (the webhook-id header a receiver logged).
    await page.getByTestId('filter-clear').click();
    await expectCount(rows, 50);
    await page.getByTestId('filter-messageId').fill(all[10].messageId);
    await page.getByTestId('filter-apply').click();
    await expectCount(rows, 1);
    expect(await rows.first().getAttribute('data-delivery-id')).toBe(all[10].id);

    // By time: nothing was created in the coming hour; everything in the last one.
    await page.getByTestId('filter-clear').click();
    await expectCount(rows, 50);
    const local = (offsetMs: number) =>
      page.evaluate((offset) => {
        const date = new Date(Date.now() + offset);
        return new Date(date.getTime() - date.getTimezoneOffset() * 60_000)
          .toISOString()
          .slice(0, 19);
      }, offsetMs);
    await page.getByTestId('filter-since').fill(await local(3_600_000));
    await page.getByTestId('filter-apply').click();
    await expectCount(rows, 0);
    expect(decodeURIComponent(page.url())).toMatch(/since=\d{4}-\d\d-\d\dT[\d:.]+Z/);
    await page.getByTestId('filter-since').fill(await local(-3_600_000));
    await page.getByTestId('filter-until').fill(await local(60_000));
    await page.getByTestId('filter-event').selectOption('ping');
    await page.getByTestId('filter-apply').click();
    await expectText(
      page.getByTestId('delivery-count'),
      'Showing 50 of 55 matching deliveries, newest first.',
    );
    await screenshot(page, 'delivery-search.png', false);
    expect(problems).toEqual([]);
  });

  it('shows the whole attempt, says why a redelivery must wait, redelivers and recovers', async () => {
    expect((await ingest(t, channel.streamKey, 'unpublish')).status).toBe(200);
    const [stop, live] = await eventually(async () => {
      const found = await deliveriesOf(hooks.failing);
      return found.length === 2 ? found : undefined;
    });
    expect(stop).toMatchObject({ event: 'channel_stop', status: 'pending', attempts: 0 });
    expect(live).toMatchObject({ event: 'channel_live', status: 'pending', attempts: 1 });

    const { page, problems } = await openPage();
    await page.goto(`${t.baseUrl}/dashboard#/webhooks/${hooks.failing}/deliveries/${live.id}`);
    const detail = page.getByTestId('delivery-detail');
    await expectText(detail.getByTestId('detail-status'), 'pending');
    const attempts = detail.getByTestId('attempt');
    await expectCount(attempts, 1);
    const first = attempts.first();
    await expectText(first.getByTestId('attempt-status-code'), '500');
    await expectText(first.getByTestId('attempt-duration'), /^(\d+ ms|\d+\.\d\d s)$/);
    await expectText(first.getByTestId('attempt-why'), /500/);
    // The request as sent: the signature headers, and the custom header's value masked.
    const sent = failing.received[0].headers;
    const request = first.getByTestId('request-headers');
    await expectText(request.locator('[data-header="webhook-id"] td'), String(sent['webhook-id']));
    await expectText(
      request.locator('[data-header="webhook-signature"] td'),
      String(sent['webhook-signature']),
    );
    await expectText(request.locator('[data-header="webhook-timestamp"] td'), /^\d+$/);
    await expectText(request.locator('[data-header="authorization"] td'), '********');
    expect(await request.textContent()).not.toContain('s3cret');
    // The answer as received: headers and body, as text.
    await expectText(
      first.getByTestId('response-headers').locator('[data-header="x-receiver"] td'),
      'failing-one',
    );
    await expectText(first.getByTestId('attempt-response'), HOSTILE_BODY);
    expect(await detail.locator('img, b').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __injected?: number }).__injected)).toBe(
      undefined,
    );
    const payload = JSON.parse((await detail.getByTestId('payload').textContent()) ?? '');
    expect(payload).toEqual(failing.received[0].json);
    await screenshot(page, 'attempt-detail.png');

    // The stop waits behind the live one: redelivering it is refused, in words.
    await page.goto(`${t.baseUrl}/dashboard#/webhooks/${hooks.failing}/deliveries/${stop.id}`);
    await expectText(detail.getByTestId('no-attempt'), /waits for an earlier delivery of channel/);
    await detail.getByTestId('redeliver').click();
    const dialog = page.getByTestId('dialog');
    await expectText(dialog.locator('h2'), `Redeliver delivery ${stop.id}?`);
    await expectText(dialog.locator('.dialog-body'), new RegExp(stop.messageId));
    await screenshot(page, 'confirm-redeliver.png', false);
    await dialog.getByTestId('dialog-confirm').click();
    await expectText(
      dialog.getByTestId('dialog-error'),
      /cannot be sent again yet: it is waiting for an earlier delivery of channel \d+ to finish/,
    );
    await dialog.getByTestId('dialog-cancel').click();
    await expectCount(dialog, 0);
    expect(await page.getByTestId('notice').isVisible()).toBe(false);
    problems.length = 0; // the 409 in the console is the browser's, the page said it in words

    // Redelivering the live one spends its last attempt (the receiver still fails): failed.
    await page.goto(`${t.baseUrl}/dashboard#/webhooks/${hooks.failing}/deliveries/${live.id}`);
    await expectCount(attempts, 1);
    await detail.getByTestId('redeliver').click();
    await dialog.getByTestId('dialog-confirm').click();
    await expectText(detail.getByTestId('detail-status'), 'failed');
    await expectCount(attempts, 2);
    // Then the stop goes out and fails too; its redelivery is its last attempt.
    await eventually(async () => failing.received.length === 3);
    await eventually(async () => {
      const found = await deliveriesOf(hooks.failing);
      return found.find((delivery) => delivery.id === stop.id)?.attempts === 1;
    });
    await page.goto(`${t.baseUrl}/dashboard#/webhooks/${hooks.failing}/deliveries/${stop.id}`);
    await expectCount(attempts, 1);
    await detail.getByTestId('redeliver').click();
    await dialog.getByTestId('dialog-confirm').click();
    await expectText(detail.getByTestId('detail-status'), 'failed');

    // The receiver is back: recover everything that failed in the last hour, in order.
    failingAnswer = 200;
    await page.getByTestId('back-to-webhook').click();
    await page.getByTestId('recover').click();
    const since = await page.getByTestId('recover-since').inputValue();
    // a datetime-local value leaves out seconds that are :00
    expect(since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/);
    await page.getByTestId('recover-since').fill(
      await page.evaluate(() => {
        const date = new Date(Date.now() - 3_600_000);
        return new Date(date.getTime() - date.getTimezoneOffset() * 60_000)
          .toISOString()
          .slice(0, 19);
      }),
    );
    await dialog.getByTestId('dialog-confirm').click();
    await expectText(page.getByTestId('notice'), '2 failed deliveries queued again.');
    await eventually(async () => failing.received.length === 6);
    const order = failing.received.slice(4).map((received) => received.json.event);
    expect(order).toEqual(['channel_live', 'channel_stop']);
    // the receiver has answered; the outcomes are recorded a moment later
    await eventually(async () =>
      (await deliveriesOf(hooks.failing))
        .filter((delivery) => delivery.id === live.id || delivery.id === stop.id)
        .every((delivery) => delivery.status === 'succeeded'),
    );
    await page.getByTestId('refresh').click();
    await expectText(page.getByTestId('webhook-detail').getByTestId('webhook-state'), 'healthy');
    expect(problems).toEqual([]);
  });

  it('creates, edits, pauses, resumes, tests, rotates and deletes a webhook, each confirmed', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${t.baseUrl}/dashboard#/`);
    await expectCount(page.getByTestId('webhook-row'), 4);

    // Keyboard: from the window picker, Tab reaches "New webhook", Enter opens its form.
    await page.getByTestId('window').focus();
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate<string | null>("document.activeElement?.getAttribute('data-testid')"),
    ).toBe('create-webhook');
    await page.keyboard.press('Enter');
    const form = page.getByTestId('webhook-form');
    await expectCount(form, 1);
    // Every control of the form has a label.
    const unlabelled = await form.locator('input, select, textarea').evaluateAll((nodes) =>
      nodes
        .filter((node) => {
          // A form control's own NodeList of labels (not in the types this suite compiles with).
          const labels = Reflect.get(node, 'labels') as { length: number } | null;
          return labels?.length === 0 && !node.getAttribute('aria-label');
        })
        .map((node) => node.outerHTML),
    );
    expect(unlabelled).toEqual([]);

    // The service's own refusal, in its words: an address it will not call.
    await form.getByTestId('form-uri').fill('http://10.1.2.3/hook');
    await form.getByTestId('dialog-confirm').click();
    await expectText(form.getByTestId('dialog-error'), /10\.1\.2\.3/);
    problems.length = 0; // the browser logs the 400; the page showed it in words
    await form.getByTestId('form-uri').fill(ok.url + '?created');
    await form.locator('input[data-event="all"]').uncheck();
    await form.locator('input[data-event="channel_live"]').check();
    await form.getByTestId('dialog-confirm').click();
    const secretDialog = page.getByTestId('secret-dialog');
    const created = await secretDialog.getByTestId('secret-value').inputValue();
    expect(created).toMatch(/^whsec_/);
    await secretDialog.getByTestId('secret-copy').click();
    await expectText(secretDialog.getByTestId('secret-copied'), 'Copied.');
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(created);
    await secretDialog.getByTestId('dialog-done').click();
    await eventually(async () => /#\/webhooks\/\d+$/.test(page.url()));
    const webhookId = /#\/webhooks\/(\d+)$/.exec(page.url())![1];
    await expectText(page.getByTestId('webhook-uri'), `${ok.url}?created`);
    expect(await api('GET', `/v1/webhook/${webhookId}`)).toMatchObject({
      event: ['channel_live'],
      active: true,
    });

    // Edit: events, rate limit, a header of our own, and the channels (one that does not exist
    // is refused in the service's words, then two that do).
    const [one, two] = [await createChannel(t), await createChannel(t)];
    await page.getByTestId('edit').click();
    await form.locator('input[data-event="channel_ended"]').check();
    await form.getByTestId('form-rate-limit').fill('5');
    await form.getByTestId('form-headers').fill('X-Token: abc123');
    await form.getByTestId('form-channels').fill('987654321');
    await form.getByTestId('dialog-confirm').click();
    await expectText(form.getByTestId('dialog-error'), /channels names no channel "987654321"/);
    problems.length = 0; // the browser logs the 400; the page showed it in words
    await form.getByTestId('form-channels').fill(`${one.id}, ${two.id}`);
    await form.getByTestId('dialog-confirm').click();
    await expectText(page.getByTestId('notice'), `Webhook ${webhookId} saved.`);
    expect(await api('GET', `/v1/webhook/${webhookId}`)).toMatchObject({
      event: ['channel_live', 'channel_ended'],
      rateLimit: 5,
      headers: { 'X-Token': '********' },
      channels: [one.id, two.id],
    });
    await expectText(
      page.getByTestId('webhook-detail'),
      new RegExp(`channels: ${one.id}, ${two.id}`),
    );
    // Editing again shows them; emptied, the webhook gets every channel again.
    await page.getByTestId('edit').click();
    expect(await form.getByTestId('form-channels').inputValue()).toBe(`${one.id}, ${two.id}`);
    await form.getByTestId('form-channels').fill('');
    await form.getByTestId('dialog-confirm').click();
    await expectText(page.getByTestId('webhook-detail'), /channels: every channel/);
    expect((await api('GET', `/v1/webhook/${webhookId}`)).channels).toBeNull();

    // Pause and resume.
    const dialog = page.getByTestId('dialog');
    await page.getByTestId('pause').click();
    await expectText(dialog.locator('.dialog-body'), /No callbacks will be sent/);
    await dialog.getByTestId('dialog-confirm').click();
    await expectText(page.getByTestId('webhook-detail').getByTestId('webhook-state'), 'paused');
    expect((await api('GET', `/v1/webhook/${webhookId}`)).active).toBe(false);
    await page.getByTestId('resume').click();
    await dialog.getByTestId('dialog-confirm').click();
    await expectText(page.getByTestId('webhook-detail').getByTestId('webhook-state'), 'healthy');
    expect((await api('GET', `/v1/webhook/${webhookId}`)).active).toBe(true);

    // Rotate: the new secret once, then a test ping signed with both.
    await page.getByTestId('rotate-secret').click();
    await dialog.getByTestId('dialog-confirm').click();
    const rotated = await secretDialog.getByTestId('secret-value').inputValue();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(created);
    await secretDialog.getByTestId('dialog-done').click();
    const before = ok.received.length;
    await page.getByTestId('send-test').click();
    await dialog.getByTestId('dialog-confirm').click();
    const detail = page.getByTestId('delivery-detail');
    await expectText(detail.getByTestId('detail-status'), 'succeeded');
    await expectText(detail.getByTestId('attempt-why'), 'Delivered.');
    await eventually(async () => ok.received.length === before + 1);
    const ping = ok.received.at(-1)!;
    expect(ping.json).toMatchObject({ event: 'ping', webhookId });
    expect(String(ping.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(ping.headers['x-token']).toBe('abc123');

    // Delete.
    await page.getByTestId('back-to-webhook').click();
    await page.getByTestId('delete').click();
    await expectText(dialog.locator('.dialog-body'), /cannot be undone/);
    await dialog.getByTestId('dialog-confirm').click();
    await eventually(async () => page.url().endsWith('#/'));
    await expectCount(page.getByTestId('webhook-row'), 4);
    expect((await t.request('GET', `/v1/webhook/${webhookId}`)).status).toBe(404);
    expect(problems).toEqual([]);
  });

  it('lists channels and shows a channel timeline linked to its deliveries; ends a session', async () => {
    const show = await createChannel(t, { name: 'Evening news' });
    expect((await ingest(t, show.streamKey, 'publish')).status).toBe(200);
    const { page, problems } = await openPage();
    await page.goto(`${t.baseUrl}/dashboard#/`);
    await page.getByTestId('nav-channels').click();
    const row = (channelId: string) =>
      page.locator(`[data-testid="channel-row"][data-channel-id="${channelId}"]`);
    await expectText(row(channel.id).getByTestId('channel-status'), 'stopped');
    await expectText(row(show.id).getByTestId('channel-status'), 'live');
    const session = (await api('GET', `/v1/channel/${show.id}`)).sessionId as string;
    await expectText(row(show.id).getByTestId('channel-session'), session);

    // The first channel's timeline: stop then live, newest first, each with its deliveries.
    await row(channel.id).getByTestId('channel-open').click();
    const events = page.getByTestId('channel-event');
    await expectCount(events, 2);
    expect(
      await events.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-event'))),
    ).toEqual(['channel_stop', 'channel_live']);
    const liveEvent = events.nth(1);
    await expectText(liveEvent.getByTestId('event-session'), /^[0-9a-f-]{36}$/);
    const links = liveEvent.getByTestId('event-delivery');
    // healthy, failing and disabled got it; the paused one did not.
    await expectCount(links, 3);
    await screenshot(page, 'channel-timeline.png');
    const failingLink = liveEvent.locator(`a[href^="#/webhooks/${hooks.failing}/deliveries/"]`);
    await failingLink.click();
    await expectText(page.getByTestId('delivery-detail').getByTestId('detail-status'), 'succeeded');
    await expectText(page.getByTestId('delivery-detail').locator('h2'), /channel_live/);

    // End the live one's session.
    await page.goto(`${t.baseUrl}/dashboard#/channels/${show.id}`);
    await expectCount(events, 1);
    await page.getByTestId('end-session').click();
    const dialog = page.getByTestId('dialog');
    await expectText(dialog.locator('.dialog-body'), new RegExp(session));
    await dialog.getByTestId('dialog-confirm').click();
    await expectText(page.getByTestId('channel-detail').getByTestId('channel-status'), 'ended');
    await expectCount(events, 2);
    expect(await events.first().getAttribute('data-event')).toBe('channel_ended');
    expect((await api('GET', `/v1/channel/${show.id}`)).status).toBe('ended');
    expect(problems).toEqual([]);
  });

  it('shows the event catalog: each event, what it means, an example and its schema', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${t.baseUrl}/dashboard#/`);
    await page.getByTestId('nav-events').click();
    await eventually(async () => /#\/events$/.test(page.url()));
    const cards = page.getByTestId('event-type');
    await eventually(async () => (await cards.count()) === 8);
    const catalog = (await api('GET', '/v1/event-types')).data as {
      name: string;
      description: string;
      example: unknown;
      schema: unknown;
    }[];
    for (const type of catalog) {
      const card = page.locator(`[data-testid="event-type"][data-event="${type.name}"]`);
      await expectText(card.getByTestId('event-description'), type.description);
      expect(JSON.parse((await card.getByTestId('event-example').textContent()) ?? '')).toEqual(
        type.example,
      );
      expect(JSON.parse((await card.getByTestId('event-schema').textContent()) ?? '')).toEqual(
        type.schema,
      );
    }
    expect(await page.getByTestId('nav-events').getAttribute('aria-current')).toBe('page');
    expect(problems).toEqual([]);
  });

  it('loads the overview of 20 webhooks with at most 5 API calls', async () => {
    const existing = (await api('GET', '/v1/webhook?length=100')).total as number;
    for (let index = existing; index < 20; index++)
      await createWebhook(t, { uri: `${ok.url}?n=${index}` });
    const { page, problems, requests } = await openPage();
    await page.goto(`${t.baseUrl}/dashboard#/`);
    await expectCount(page.getByTestId('webhook-row'), 20);
    await page.waitForLoadState('networkidle');
    await sleep(500);
    const calls = requests.filter((request) => new URL(request.url).pathname.startsWith('/v1/'));
    expect(calls.length, calls.map((call) => call.url).join('\n')).toBeLessThanOrEqual(5);
    expect(problems).toEqual([]);
  });

  it('says clearly when the service cannot answer, instead of showing an empty list', async () => {
    const { page } = await openPage();
    await page.route('**/v1/webhook-summary*', (route) =>
      route.fulfill({
        status: 404,
        contentType: 'application/json',
        body: '{"statusCode":404,"message":"Cannot GET /v1/webhook-summary","error":"Not Found"}',
      }),
    );
    await page.goto(`${t.baseUrl}/dashboard#/`);
    await expectText(page.getByTestId('view-error'), /no webhook summary route \(404\)/);
    expect(await page.getByTestId('webhook-row').count()).toBe(0);
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
    const { page } = await openPage({ signedIn: false });
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
