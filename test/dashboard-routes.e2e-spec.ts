import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_FILES } from '../src/dashboard/dashboard.controller.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

/**
 * The operator console's addresses over plain HTTP, as a browser follows them: no browser needed
 * (the console itself is tried in Chromium by dashboard.e2e-spec.ts). The database plays no part,
 * so SQLite only.
 */
describe('the dashboard at /dashboard and /dashboard/', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each([
    ['/dashboard/', '/dashboard'],
    ['/dashboard/?window=1h', '/dashboard?window=1h'],
  ])('redirects %s permanently to %s, without a key', async (asked, page) => {
    for (const method of ['GET', 'HEAD']) {
      const response = await fetch(`${t.baseUrl}${asked}`, { method, redirect: 'manual' });
      expect(response.status, method).toBe(301);
      const location = new URL(response.headers.get('location') ?? '', `${t.baseUrl}${asked}`);
      expect(location.href, method).toBe(`${t.baseUrl}${page}`);
    }
  });

  it.each(['/dashboard', '/dashboard/'])(
    '%s ends at the page, whose styles, scripts and their imports load from where a browser resolves them',
    async (asked) => {
      const page = await fetch(`${t.baseUrl}${asked}`);
      expect(page.status).toBe(200);
      expect(page.url).toBe(`${t.baseUrl}/dashboard`);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      const references = [
        ...html.matchAll(/<link\b[^>]*\bhref="([^"]+)"|<script\b[^>]*\bsrc="([^"]+)"/g),
      ]
        .map((match) => match[1] ?? match[2])
        .filter((reference) => !reference.startsWith('data:'));
      expect(references.length).toBeGreaterThanOrEqual(2);

      // Each reference resolved against the document's URL, each import against its module's.
      const queue = references.map((reference) => new URL(reference, page.url).href);
      const loaded = new Set<string>();
      while (queue.length > 0) {
        const url = queue.shift()!;
        if (loaded.has(url)) continue;
        loaded.add(url);
        const response = await fetch(url);
        expect(response.status, url).toBe(200);
        const type = url.endsWith('.css') ? /^text\/css/ : /^text\/javascript/;
        expect(response.headers.get('content-type'), url).toMatch(type);
        const text = await response.text();
        if (!url.endsWith('.js')) continue;
        for (const [, target] of text.matchAll(/\bfrom\s+'([^']+)'/g)) {
          queue.push(new URL(target, url).href);
        }
      }
      expect([...loaded].map((url) => new URL(url).pathname).sort()).toEqual(
        [...DASHBOARD_FILES.keys()].map((name) => `/dashboard/${name}`).sort(),
      );
    },
  );
});
