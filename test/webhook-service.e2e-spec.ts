import { Injectable, Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookModule } from '../src/webhook/webhook.module.js';
import { WebhookDirectory } from '../src/webhook/webhook-directory.js';
import { WebhookRepository } from '../src/webhook/webhook.repository.js';
import { WebhookService } from '../src/webhook/webhook.service.js';
import { databaseKinds } from './helpers/databases.js';
import { createTestModule, type TestModule } from './helpers/test-module.js';

/** Stands for a later module (the delivery engine) that asks who wants an event. */
@Injectable()
class FanOutProbe {
  constructor(
    readonly webhooks: WebhookService,
    private readonly repository: WebhookRepository,
    private readonly directory: WebhookDirectory,
  ) {}

  /** As fan-out asks: at the version its transaction read. */
  private async current(): Promise<WebhookDirectory> {
    return this.directory.atLeast(await this.repository.version());
  }

  /** The URIs that get `event` of a channel (one no webhook is limited to, by default). */
  async targetsOf(
    event: 'channel_live' | 'channel_stop' | 'channel_ended',
    channelId = '1',
  ): Promise<string[]> {
    return (await this.current()).subscribers(event, channelId).map((target) => target.uri);
  }

  async signingSecrets(id: string) {
    return (await this.current()).target(id)?.secrets;
  }
}

@Module({ imports: [WebhookModule], providers: [FanOutProbe], exports: [FanOutProbe] })
class ConsumerModule {}

describe.each(databaseKinds())(
  'WebhookService and the webhook directory injected into another module on %s',
  (kind) => {
    let slice: TestModule;
    let sut: FanOutProbe;

    beforeAll(async () => {
      slice = await createTestModule(kind, { imports: [ConsumerModule] });
      sut = slice.moduleRef.get(FanOutProbe);
    });
    afterAll(async () => {
      await slice?.close();
    });

    it('creates, finds, lists, updates and removes through the exported service', async () => {
      const created = await sut.webhooks.create({
        uri: 'https://a.example/1',
        event: ['channel_live'],
      });
      expect(created.secret).toMatch(/^whsec_/);
      expect((await sut.webhooks.findOne(created.id)).uri).toBe('https://a.example/1');
      expect(
        (await sut.webhooks.update(created.id, { event: ['channel_live', 'channel_stop'] })).event,
      ).toEqual(['channel_live', 'channel_stop']);
      expect((await sut.webhooks.list({ page: 0, length: 10 })).total).toBe(1);
      await sut.webhooks.remove(created.id);
      await expect(sut.webhooks.findOne(created.id)).rejects.toThrow(/does not exist/);
      // where callbacks may go is the service's own rule (event lists are checked by the DTOs)
      await expect(
        sut.webhooks.create({ uri: 'http://10.0.0.1/x', event: ['channel_live'] }),
      ).rejects.toThrow(/not allowed/);
    });

    it('answers which active webhooks want an event, counting all and skipping inactive ones', async () => {
      const live = await sut.webhooks.create({
        uri: 'https://a.example/live',
        event: ['channel_live'],
      });
      await sut.webhooks.create({ uri: 'https://a.example/all', event: ['all'] });
      await sut.webhooks.create({ uri: 'https://a.example/stop', event: ['channel_stop'] });
      const paused = await sut.webhooks.create({
        uri: 'https://a.example/paused',
        event: ['channel_live', 'channel_stop'],
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
      const secrets = await sut.signingSecrets(live.id);
      expect(secrets).toEqual({ current: live.secret });
      const rotated = await sut.webhooks.rotateSecret(live.id);
      expect(await sut.signingSecrets(live.id)).toEqual({
        current: rotated,
        previous: live.secret,
      });
    });
  },
);
