import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { PeriodicTask } from '../common/periodic-task.js';
import type { AppConfig } from '../config/app-config.js';
import { ChannelLifecycleService } from './channel-lifecycle.service.js';

/** How often the database is scanned for reconnect windows that ran out (and stale channels). */
export const EXPIRY_SCAN_INTERVAL_MS = 1000;
const SCAN_BATCH = 100;

/**
 * Ends stopped channels whose reconnect window ran out. Due times live in the database
 * (channel.end_due_at), so expiries that fell due while the service was down are carried out at
 * start, and several instances can scan together (each channel is ended once).
 */
@Injectable()
export class ChannelExpiryService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly task = new PeriodicTask(
    EXPIRY_SCAN_INTERVAL_MS,
    () => this.scan(),
    new Logger('ChannelExpiry'),
    'Expiry scan failed; the next scan tries again',
  );

  private readonly staleAfterMs: number | undefined;

  constructor(
    private readonly lifecycle: ChannelLifecycleService,
    config: ConfigService<{ app: AppConfig }, true>,
  ) {
    this.staleAfterMs = config.get('app', { infer: true }).ingestStaleAfterMs;
  }

  onApplicationBootstrap(): Promise<void> {
    return this.task.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /**
   * Stops live channels not heard from for INGEST_STALE_AFTER (when set), then ends every channel
   * due now; returns how many ended.
   */
  async scan(now = new Date()): Promise<number> {
    if (this.staleAfterMs !== undefined) {
      const before = new Date(now.getTime() - this.staleAfterMs);
      while ((await this.lifecycle.stopStale(before, SCAN_BATCH)) === SCAN_BATCH) {
        if (this.task.stopped) break;
      }
    }
    let total = 0;
    for (;;) {
      const ended = await this.lifecycle.expireDue(now, SCAN_BATCH);
      total += ended;
      if (ended < SCAN_BATCH || this.task.stopped) return total;
    }
  }
}
