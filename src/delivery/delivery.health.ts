import { Injectable } from '@nestjs/common';
import { type DeliveryBacklog, DeliveryQueue } from './delivery.queue.js';
import { DeliveryWorker } from './delivery.worker.js';

/** What health checks may ask of delivery: is this instance taking work, and how far behind is it. */
@Injectable()
export class DeliveryHealth {
  constructor(
    private readonly queue: DeliveryQueue,
    private readonly worker: DeliveryWorker,
  ) {}

  /** False while draining after SIGTERM. */
  get running(): boolean {
    return this.worker.running;
  }

  backlog(): Promise<DeliveryBacklog> {
    return this.queue.backlog();
  }
}
