import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { type Page, toPage } from '../../common/paging.dto.js';
import { checkResourceId, notFound } from '../../common/resource-id.js';
import { forUpdate } from '../../database/locking.js';
import { Transactions } from '../../database/transactions.js';
import { WebhookService } from '../../webhook/webhook.service.js';
import { ChannelEventEntity } from '../channel-event.entity.js';
import type {
  DeliveryAttemptDto,
  DeliveryDetailDto,
  DeliveryDto,
  ListDeliveriesQueryDto,
  PublicDeliveryStatus,
} from '../dto/delivery.dto.js';
import { DeliveryAttemptEntity, DeliveryEntity, type DeliveryStatus } from './delivery.entity.js';
import { DeliveryWorker } from './delivery.worker.js';
import { newMessageId } from './signature.js';

const STORED_STATUSES: Record<PublicDeliveryStatus, DeliveryStatus[]> = {
  pending: ['pending', 'waiting'],
  succeeded: ['succeeded'],
  failed: ['failed'],
};

/** The delivery log of a webhook, and its controls: redeliver and test. */
@Injectable()
export class DeliveryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly transactions: Transactions,
    private readonly webhooks: WebhookService,
    private readonly worker: DeliveryWorker,
  ) {}

  /** Newest first. */
  async list(webhookId: string, query: ListDeliveriesQueryDto): Promise<Page<DeliveryDto>> {
    await this.webhooks.findOne(webhookId);
    const [rows, total] = await this.dataSource.manager.findAndCount(DeliveryEntity, {
      where: {
        webhookId,
        ...(query.status ? { status: In(STORED_STATUSES[query.status]) } : {}),
      },
      order: { id: 'DESC' },
      skip: query.page * query.length,
      take: query.length,
    });
    return toPage(rows.map(toDeliveryDto), total, query);
  }

  async findOne(webhookId: string, deliveryId: string): Promise<DeliveryDetailDto> {
    const delivery = await this.load(webhookId, deliveryId);
    const attempts = await this.dataSource.manager.find(DeliveryAttemptEntity, {
      where: { deliveryId: String(delivery.id) },
      order: { id: 'ASC' },
    });
    let body = delivery.body;
    if (body === null && delivery.eventId !== null) {
      body =
        (
          await this.dataSource.manager.findOneBy(ChannelEventEntity, {
            id: String(delivery.eventId),
          })
        )?.body ?? null;
    }
    const { attempts: _count, ...fields } = toDeliveryDto(delivery);
    return {
      ...fields,
      attempts: attempts.map(toAttemptDto),
      payload: body === null ? null : (JSON.parse(body) as unknown),
    };
  }

  /**
   * Sends the same message again now (same webhook-id, one more attempt). A delivery still
   * waiting behind an earlier one of its channel cannot jump its line (409).
   */
  async redeliver(webhookId: string, deliveryId: string): Promise<DeliveryDto> {
    const id = (await this.load(webhookId, deliveryId)).id;
    const updated = await this.transactions.run(async (manager) => {
      const delivery = await forUpdate(
        manager.createQueryBuilder(DeliveryEntity, 'delivery').where('delivery.id = :id', { id }),
      ).getOne();
      if (!delivery) throw notFound('delivery', deliveryId);
      if (delivery.status === 'waiting') {
        throw new ConflictException(
          'delivery is waiting for an earlier delivery of its channel to finish',
        );
      }
      const now = new Date();
      const changes: Partial<DeliveryEntity> = {
        status: 'pending',
        nextAttemptAt: now,
        updatedAt: now,
      };
      if (delivery.status !== 'pending') changes.maxAttempts = delivery.attempts + 1;
      await manager.update(DeliveryEntity, { id }, changes);
      return Object.assign(delivery, changes);
    });
    this.worker.wake();
    return toDeliveryDto(updated);
  }

  /** Sends `{"event":"ping","eventTime":…,"webhookId":…}`, signed and logged like any delivery (one attempt). */
  async test(webhookId: string): Promise<DeliveryDto> {
    const webhook = await this.webhooks.findOne(webhookId);
    const now = new Date();
    const body = JSON.stringify({ event: 'ping', eventTime: now.getTime(), webhookId: webhook.id });
    const id = await this.transactions.run(async (manager) => {
      const inserted = await manager.insert(DeliveryEntity, {
        webhookId: webhook.id,
        channelId: null,
        eventId: null,
        event: 'ping',
        messageId: newMessageId(),
        body,
        status: 'pending',
        attempts: 0,
        maxAttempts: 1,
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      });
      return String(inserted.identifiers[0].id);
    });
    this.worker.wake();
    return toDeliveryDto(await this.load(webhook.id, id));
  }

  private async load(webhookId: string, deliveryId: string): Promise<DeliveryEntity> {
    await this.webhooks.findOne(webhookId);
    const delivery = await this.dataSource.manager.findOneBy(DeliveryEntity, {
      id: checkResourceId('delivery', deliveryId),
      webhookId,
    });
    if (!delivery) throw notFound('delivery', deliveryId);
    return delivery;
  }
}

export function toDeliveryDto(delivery: DeliveryEntity): DeliveryDto {
  const done = delivery.status === 'succeeded' || delivery.status === 'failed';
  return {
    id: String(delivery.id),
    event: delivery.event,
    channelId: delivery.channelId === null ? null : String(delivery.channelId),
    messageId: delivery.messageId,
    status: delivery.status === 'waiting' ? 'pending' : delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    nextAttemptAt:
      done || delivery.nextAttemptAt === null ? null : delivery.nextAttemptAt.toISOString(),
    createdAt: delivery.createdAt.toISOString(),
  };
}

function toAttemptDto(attempt: DeliveryAttemptEntity): DeliveryAttemptDto {
  return {
    at: attempt.at.toISOString(),
    statusCode: attempt.statusCode,
    durationMs: attempt.durationMs,
    error: attempt.error,
    responseBody: attempt.responseBody,
  };
}
