import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { PeriodicTask } from '../common/periodic-task.js';
import { ChannelLifecycleService } from './channel-lifecycle.service.js';
import { StaleGrace } from './session-liveness.js';

/** How often the database is scanned for reconnect windows that ran out (and stale channels). */
export const EXPIRY_SCAN_INTERVAL_MS = 1000;
const SCAN_BATCH = 100;

/**
 * Ends stopped channels whose reconnect window ran out, and stops live channels not heard from
 * for INGEST_STALE_AFTER. Due times live in the database (channel.end_due_at) and are compared
 * with the database's clock, so expiries that fell due while the service was down are carried out
 * at start, and several instances, whatever their own clocks, can scan together (each channel is
 * ended once). Silence counts only once the service has been up, with its database, for
 * INGEST_STALE_AFTER (see StaleGrace).
 */
@Injectable()
export class ChannelExpiryService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly task = new PeriodicTask(
    EXPIRY_SCAN_INTERVAL_MS,
    () => this.scan(),
    new Logger('ChannelExpiry'),
    'Expiry scan failed; the next scan tries again',
  );

  constructor(
    private readonly lifecycle: ChannelLifecycleService,
    private readonly grace: StaleGrace,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.task.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /**
   * Stops live channels not heard from for INGEST_STALE_AFTER (when set, and once the grace is
   * over), then ends every channel due; returns how many ended. `asOf` replaces the database's
   * clock (tests).
   */
  async scan(asOf?: Date): Promise<number> {
    const staleAfterMs = this.grace.afterMs;
    if (staleAfterMs !== undefined && this.grace.open(performance.now())) {
      while ((await this.lifecycle.stopStale(staleAfterMs, SCAN_BATCH, asOf)) === SCAN_BATCH) {
        if (this.task.stopped) break;
      }
    }
    let total = 0;
    for (;;) {
      const ended = await this.lifecycle.expireDue(SCAN_BATCH, asOf);
      total += ended;
      if (ended < SCAN_BATCH || this.task.stopped) return total;
    }
  }
}
