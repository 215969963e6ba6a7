import { Injectable } from '@nestjs/common';
import { PROBE_SNAPSHOT_MS, Snapshot } from '../common/snapshot.js';
import { type DeliveryBacklog, DeliveryQueue } from './delivery.queue.js';

/**
 * The backlog as readiness and metrics report it: counted at most once a second, however many
 * probes and scrapes ask, with one count in flight at most.
 */
@Injectable()
export class BacklogSnapshot {
  private readonly snapshot: Snapshot<DeliveryBacklog>;

  constructor(queue: DeliveryQueue) {
    this.snapshot = new Snapshot(PROBE_SNAPSHOT_MS, () => queue.backlog());
  }

  get(): Promise<DeliveryBacklog> {
    return this.snapshot.get();
  }
}
