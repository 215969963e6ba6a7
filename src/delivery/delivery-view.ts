import type { DeliveryDto, PublicDeliveryStatus } from './dto/delivery.dto.js';
import { type DeliveryEntity, DeliveryStatus } from './delivery.entity.js';

/** A stored status as answers show it: a delivery waiting behind another is pending too. */
export function publicStatus(status: DeliveryStatus): PublicDeliveryStatus {
  return status === DeliveryStatus.Waiting ? 'pending' : status;
}

/**
 * A delivery as every answer shows it: the operator's controls (redeliver, test) and the
 * console's log alike.
 */
export function toDeliveryDto(delivery: DeliveryEntity): DeliveryDto {
  const done =
    delivery.status === DeliveryStatus.Succeeded || delivery.status === DeliveryStatus.Failed;
  return {
    id: delivery.id,
    event: delivery.event,
    channelId: delivery.channelId,
    messageId: delivery.messageId,
    status: publicStatus(delivery.status),
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    nextAttemptAt:
      done || delivery.nextAttemptAt === null ? null : delivery.nextAttemptAt.toISOString(),
    createdAt: delivery.createdAt.toISOString(),
  };
}
