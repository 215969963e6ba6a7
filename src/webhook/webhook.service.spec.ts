import type { EntityManager } from 'typeorm';
import { beforeEach, describe, expect, it } from 'vitest';
import type { EventSubscription } from '../common/channel-event-name.js';
import { DomainError, ErrorCode } from '../common/errors.js';
import { loadAppConfig } from '../config/app-config.js';
import type { Transactions } from '../database/transactions.js';
import { DestinationPolicy } from '../destination/destination-policy.js';
import { WebhookEntity } from './webhook.entity.js';
import type { WebhookChanges, WebhookRepository } from './webhook.repository.js';
import { WebhookService } from './webhook.service.js';
import { readStoredChannels } from './webhook-channels.js';
import { readStoredHeaders } from './webhook-headers.js';

/** The repository's methods the service calls: the fake is checked against their signatures. */
type WebhookTable = Pick<
  WebhookRepository,
  | 'insert'
  | 'findWithEvents'
  | 'page'
  | 'lock'
  | 'lockSecret'
  | 'update'
  | 'replaceEvents'
  | 'deleteLogChunk'
  | 'delete'
  | 'eventsOf'
  | 'missingChannels'
>;

/** The repository's interface over a map: what the service asks of its table, nothing more. */
class InMemoryWebhooks implements WebhookTable {
  rows = new Map<string, { webhook: WebhookEntity; events: EventSubscription[] }>();
  /** The channels that exist. */
  channels = new Set(['1', '2', '3']);
  private next = 1;

  insert(
    _m: EntityManager,
    row: {
      uri: string;
      secret: string;
      events: EventSubscription[];
      headers?: string | null;
      channels?: string | null;
      now: Date;
    },
  ) {
    const id = String(this.next++);
    const webhook = Object.assign(new WebhookEntity(), {
      id,
      uri: row.uri,
      secret: row.secret,
      state: 'active',
      previousSecret: null,
      previousSecretExpiresAt: null,
      failingSince: null,
      disabledReason: null,
      headers: row.headers ?? null,
      channels: row.channels ?? null,
      createdAt: row.now,
      updatedAt: row.now,
    });
    this.rows.set(id, { webhook, events: [...row.events] });
    return Promise.resolve(id);
  }
  findWithEvents(ids: string[]) {
    return Promise.resolve(ids.flatMap((id) => (this.rows.has(id) ? [this.view(id)] : [])));
  }
  page(
    _events: EventSubscription[] | undefined,
    _channel: string | undefined,
    offset: number,
    limit: number,
  ) {
    const all = [...this.rows.keys()].map((id) => this.view(id));
    return Promise.resolve({ found: all.slice(offset, offset + limit), total: all.length });
  }
  /** A row as the repository reads it for the API: of the headers, the names only. */
  private view(id: string) {
    const { webhook, events } = this.rows.get(id)!;
    const headerNames = Object.keys(readStoredHeaders(webhook.headers));
    return {
      webhook: { ...webhook, headerNames, channels: readStoredChannels(webhook.channels) },
      events,
    };
  }
  lock(_m: EntityManager, id: string) {
    return Promise.resolve(this.rows.has(id));
  }
  lockSecret(_m: EntityManager, id: string) {
    return Promise.resolve(this.rows.get(id)?.webhook.secret);
  }
  update(_m: EntityManager, id: string, changes: WebhookChanges) {
    Object.assign(this.rows.get(id)!.webhook, changes);
    return Promise.resolve();
  }
  replaceEvents(_m: EntityManager, id: string, events: EventSubscription[]) {
    this.rows.get(id)!.events = [...events];
    return Promise.resolve();
  }
  deleteLogChunk() {
    return Promise.resolve(0);
  }
  delete(_m: EntityManager, id: string) {
    this.rows.delete(id);
    return Promise.resolve();
  }
  missingChannels(_m: EntityManager, ids: string[]) {
    return Promise.resolve(ids.filter((id) => !this.channels.has(id)));
  }
  eventsOf(_m: EntityManager, ids: string[]) {
    return Promise.resolve(new Map(ids.map((id) => [id, this.rows.get(id)?.events ?? []])));
  }
}

const transactions = {
  run: <T>(work: (manager: EntityManager) => Promise<T>) => work({} as EntityManager),
} satisfies Pick<Transactions, 'run'> as Transactions;

function setup() {
  const app = loadAppConfig({ WEBHOOK_SECRET_GRACE: '1h' });
  const config = app;
  const repository = new InMemoryWebhooks();
  const table: WebhookTable = repository;
  const sut = new WebhookService(
    table as WebhookRepository,
    transactions,
    new DestinationPolicy(config),
    config,
  );
  return { sut, repository };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof DomainError ? error.code : 'other error'),
  );

describe('WebhookService', () => {
  let sut: WebhookService;
  let repository: InMemoryWebhooks;
  beforeEach(() => ({ sut, repository } = setup()));

  it('creates with the parsed events and a generated secret, shown in the answer only', async () => {
    const created = await sut.create({ uri: 'https://a.example/h', event: ['channel_live'] });
    expect(created).toMatchObject({ id: '1', event: ['channel_live'], active: true });
    expect(created.secret).toMatch(/^whsec_/);
    expect(repository.rows.get('1')!.webhook.secret).toBe(created.secret);
    expect(await sut.findOne('1')).not.toHaveProperty('secret');
  });

  it('keeps a caller-chosen secret', async () => {
    const secret = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
    expect((await sut.create({ uri: 'https://a.example/h', event: ['all'], secret })).secret).toBe(
      secret,
    );
  });

  it('stores headers as given and answers them masked; an update replaces, removes or keeps them', async () => {
    const headers = { Authorization: 'Bearer x', 'X-Tenant': 't' };
    const created = await sut.create({ uri: 'https://a.example/h', event: ['all'], headers });
    expect(created.headers).toEqual({ Authorization: '********', 'X-Tenant': '********' });
    expect(JSON.parse(repository.rows.get('1')!.webhook.headers!)).toEqual(headers);
    expect((await sut.update('1', { active: true })).headers).toEqual(created.headers);
    expect((await sut.update('1', { headers: { 'X-Other': 'o' } })).headers).toEqual({
      'X-Other': '********',
    });
    expect((await sut.update('1', { headers: {} })).headers).toEqual({});
    expect(repository.rows.get('1')!.webhook.headers).toBeNull();
    await sut.update('1', { headers });
    expect((await sut.update('1', { headers: null })).headers).toEqual({});
    expect(repository.rows.get('1')!.webhook.headers).toBeNull();
  });

  it('refuses a destination the SSRF guard denies, at create and at update, writing nothing', async () => {
    expect(await codeOf(sut.create({ uri: 'http://127.0.0.1/h', event: ['all'] }))).toBe(
      ErrorCode.Invalid,
    );
    expect(repository.rows.size).toBe(0);
    await sut.create({ uri: 'https://a.example/h', event: ['all'] });
    expect(await codeOf(sut.update('1', { uri: 'http://[::1]/h' }))).toBe(ErrorCode.Invalid);
    expect(repository.rows.get('1')!.webhook.uri).toBe('https://a.example/h');
  });

  it('answers not found for a webhook that is not there', async () => {
    expect(await codeOf(sut.findOne('9'))).toBe(ErrorCode.NotFound);
    expect(await codeOf(sut.update('9', { active: false }))).toBe(ErrorCode.NotFound);
    expect(await codeOf(sut.remove('9'))).toBe(ErrorCode.NotFound);
    expect(await codeOf(sut.rotateSecret('9'))).toBe(ErrorCode.NotFound);
  });

  it('pauses, and re-activating clears the failing run and the reason', async () => {
    await sut.create({ uri: 'https://a.example/h', event: ['all'] });
    await sut.update('1', { active: false });
    expect(repository.rows.get('1')!.webhook).toMatchObject({
      state: 'paused',
      disabledReason: null,
    });
    expect(await sut.findOne('1')).toMatchObject({ active: false });
    Object.assign(repository.rows.get('1')!.webhook, {
      state: 'disabled',
      failingSince: new Date(),
      disabledReason: 'the receiver answered 410 Gone',
    });
    await sut.update('1', { active: true });
    expect(repository.rows.get('1')!.webhook).toMatchObject({
      state: 'active',
      failingSince: null,
      disabledReason: null,
    });
    expect(await sut.findOne('1')).toMatchObject({ active: true });
  });

  it('takes events off a webhook on all by expanding all, and deletes it when none is left', async () => {
    await sut.create({ uri: 'https://a.example/h', event: ['all'] });
    await sut.remove('1', ['channel_stop']);
    expect(repository.rows.get('1')!.events).toEqual(['channel_live', 'channel_ended']);
    await sut.remove('1', ['channel_live', 'channel_ended']);
    expect(repository.rows.has('1')).toBe(false);
  });

  it('ignores names the webhook does not have', async () => {
    await sut.create({ uri: 'https://a.example/h', event: ['channel_live'] });
    await sut.remove('1', ['channel_stop']);
    expect(repository.rows.get('1')!.events).toEqual(['channel_live']);
  });

  it('rotates: the old secret keeps signing for the grace period', async () => {
    const created = await sut.create({ uri: 'https://a.example/h', event: ['all'] });
    const before = Date.now();
    const secret = await sut.rotateSecret('1');
    const { webhook } = repository.rows.get('1')!;
    expect(secret).not.toBe(created.secret);
    expect(webhook.secret).toBe(secret);
    expect(webhook.previousSecret).toBe(created.secret);
    expect(webhook.previousSecretExpiresAt!.getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
  });
});
