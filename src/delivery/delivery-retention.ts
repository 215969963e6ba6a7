import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ChannelEventRepository } from '../channel-events/channel-event.repository.js';
import { PeriodicTask } from '../common/periodic-task.js';
import type { AppConfig } from '../config/app-config.js';
import { DeliveryMaintenance } from './delivery-maintenance.js';
import { InjectAppConfig } from '../config/app-config.module.js';

/** Finished deliveries deleted per statement: small batches keep each lock short. */
const PURGE_BATCH = 500;

/**
 * Deletes finished deliveries (succeeded or failed) whose last change is older than
 * DELIVERY_RETENTION, with their attempts, a batch at a time; then the outbox events fanned out
 * longer ago than that which no delivery refers to any more (a delivery's log shows its event's
 * body). Runs every tenth of the retention, between once a second and once a minute; several
 * instances may run it together.
 */
@Injectable()
export class DeliveryRetention implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('DeliveryRetention');
  private readonly retentionMs: number;
  private readonly task: PeriodicTask;

  constructor(
    private readonly maintenance: DeliveryMaintenance,
    private readonly events: ChannelEventRepository,
    @InjectAppConfig() config: AppConfig,
  ) {
    this.retentionMs = config.delivery.retentionMs;
    const intervalMs = Math.min(60_000, Math.max(1_000, Math.round(this.retentionMs / 10)));
    this.task = new PeriodicTask(
      intervalMs,
      () => this.purge(),
      this.logger,
      'Deleting old deliveries failed; the next run tries again',
    );
  }

  onApplicationBootstrap(): Promise<void> {
    return this.task.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /** Deletes every finished delivery and unused event past the retention; answers how many deliveries. */
  async purge(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - this.retentionMs);
    let total = 0;
    for (;;) {
      const deleted = await this.maintenance.purgeFinished(before, PURGE_BATCH);
      total += deleted;
      if (deleted < PURGE_BATCH || this.task.stopped) break;
    }
    if (total > 0) this.logger.log(`Deleted ${total} finished deliveries older than the retention`);
    const events = await this.pruneEvents(before);
    if (events > 0) this.logger.log(`Deleted ${events} delivered events older than the retention`);
    return total;
  }

  /**
   * Deletes the events fanned out before `before` that no delivery refers to; answers how many.
   * Only fan-out writes a delivery of an event, and only before the event is marked fanned out, so
   * an event found unreferenced here stays so.
   */
  async pruneEvents(before: Date): Promise<number> {
    let deleted = 0;
    let after = '0';
    while (!this.task.stopped) {
      const candidates = await this.events.dispatchedBefore(before, after, PURGE_BATCH);
      if (candidates.length === 0) break;
      const referenced = await this.maintenance.referencedEvents(candidates);
      deleted += await this.events.deleteDispatched(candidates.filter((id) => !referenced.has(id)));
      if (candidates.length < PURGE_BATCH) break;
      after = candidates[candidates.length - 1];
    }
    return deleted;
  }
}
