import { Injectable } from '@nestjs/common';
import { BacklogSnapshot } from './backlog-snapshot.js';
import type { DeliveryBacklog } from './delivery.queue.js';
import { WorkerLink } from './worker-link.js';

/** What health checks may ask of delivery: is this instance taking work, and how far behind is it. */
@Injectable()
export class DeliveryHealth {
  constructor(
    private readonly backlogSnapshot: BacklogSnapshot,
    private readonly worker: WorkerLink,
  ) {}

  /** False while draining after SIGTERM (read live, never from a snapshot), or without a worker. */
  running(): Promise<boolean> {
    return this.worker.running();
  }

  /** The backlog as counted within the last second. */
  backlog(): Promise<DeliveryBacklog> {
    return this.backlogSnapshot.get();
  }
}
