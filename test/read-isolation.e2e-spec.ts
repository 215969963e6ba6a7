import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transactions } from '../src/database/transactions.js';
import { WebhookRepository } from '../src/webhook/webhook.repository.js';
import { databaseKinds } from './helpers/databases.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';

describe.each(databaseKinds())('reads on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('see committed data only: a webhook being created is not there until its transaction commits', async () => {
    let seenWhileOpen: number | undefined;
    const id = await t.app.get(Transactions).run(async (manager) => {
      const created = await t.app.get(WebhookRepository).insert(manager, {
        uri: 'https://example.com/hook',
        secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
        events: ['all'],
        now: new Date(),
      });
      // A request served while the transaction is still open.
      seenWhileOpen = (await t.request('GET', `/v1/webhook/${created}`)).status;
      const listed = (await t.request('GET', '/v1/webhook')).body as { total: number };
      expect(listed.total).toBe(0);
      return created;
    });
    expect(seenWhileOpen).toBe(404);
    expect((await t.request('GET', `/v1/webhook/${id}`)).status).toBe(200);
  });
});
