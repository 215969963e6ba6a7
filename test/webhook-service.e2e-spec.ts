import { Injectable, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAppConfig } from '../src/config/app-config.js';
import { DatabaseModule } from '../src/database/database.module.js';
import { WebhookModule } from '../src/webhook/webhook.module.js';
import { WebhookService } from '../src/webhook/webhook.service.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './helpers/databases.js';

/** Stands for a later module (the delivery engine) that asks who wants an event. */
@Injectable()
class FanOutProbe {
  constructor(readonly webhooks: WebhookService) {}

  async targetsOf(event: 'channel_live' | 'channel_stop' | 'channel_ended'): Promise<string[]> {
    return (await this.webhooks.findActiveSubscribers(event)).map((target) => target.uri);
  }
}

@Module({ imports: [WebhookModule], providers: [FanOutProbe], exports: [FanOutProbe] })
class ConsumerModule {}

describe.each(databaseKinds())('WebhookService injected into another module on %s', (kind) => {
  let database: TestDatabase;
  let moduleRef: TestingModule;
  let sut: FanOutProbe;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const app = loadAppConfig({ DATABASE_URL: database.url });
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ app })] }),
        DatabaseModule,
        ConsumerModule,
      ],
    }).compile();
    await moduleRef.init();
    sut = moduleRef.get(FanOutProbe);
  });
  afterAll(async () => {
    await moduleRef?.close();
    await database?.drop();
  });

  it('creates, finds, lists, updates and removes through the exported service', async () => {
    const created = await sut.webhooks.create({
      uri: 'https://a.example/1',
      event: ['channel_live'],
    });
    expect(created.secret).toMatch(/^whsec_/);
    expect((await sut.webhooks.findOne(created.id)).uri).toBe('https://a.example/1');
    expect(
      (await sut.webhooks.update(created.id, { event: 'channel_live,channel_stop' })).event,
    ).toEqual(['channel_live', 'channel_stop']);
    expect((await sut.webhooks.list({ page: 0, length: 10 })).total).toBe(1);
    await sut.webhooks.remove(created.id);
    await expect(sut.webhooks.findOne(created.id)).rejects.toThrow(/does not exist/);
    await expect(
      sut.webhooks.create({ uri: 'https://a.example/1', event: 'nope' }),
    ).rejects.toThrow();
  });

  it('answers which active webhooks want an event, counting all and skipping inactive ones', async () => {
    const live = await sut.webhooks.create({
      uri: 'https://a.example/live',
      event: 'channel_live',
    });
    await sut.webhooks.create({ uri: 'https://a.example/all', event: 'all' });
    await sut.webhooks.create({ uri: 'https://a.example/stop', event: 'channel_stop' });
    const paused = await sut.webhooks.create({
      uri: 'https://a.example/paused',
      event: 'channel_live,channel_stop',
    });
    await sut.webhooks.update(paused.id, { active: false });
    expect(await sut.targetsOf('channel_live')).toEqual([
      'https://a.example/live',
      'https://a.example/all',
    ]);
    expect(await sut.targetsOf('channel_stop')).toEqual([
      'https://a.example/all',
      'https://a.example/stop',
    ]);
    expect(await sut.targetsOf('channel_ended')).toEqual(['https://a.example/all']);
    const secrets = await sut.webhooks.signingSecrets(live.id);
    expect(secrets).toEqual({ current: live.secret });
    const rotated = await sut.webhooks.rotateSecret(live.id);
    expect(await sut.webhooks.signingSecrets(live.id)).toEqual({
      current: rotated,
      previous: live.secret,
    });
  });
});
