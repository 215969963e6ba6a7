import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { ChannelLifecycleService } from './channel-lifecycle.service.js';

/** How often the database is scanned for reconnect windows that ran out. */
export const EXPIRY_SCAN_INTERVAL_MS = 1000;

/**
 * Ends stopped channels whose reconnect window ran out. Due times live in the database
 * (channel.end_due_at), so expiries that fell due while the service was down are carried out at
 * start, and several instances can scan together (each channel is ended once).
 */
@Injectable()
export class ChannelExpiryService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ChannelExpiry');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly lifecycle: ChannelLifecycleService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.scan();
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Ends every channel due now; returns how many. */
  async scan(now = new Date()): Promise<number> {
    let total = 0;
    const run = (async () => {
      for (;;) {
        const ended = await this.lifecycle.expireDue(now);
        total += ended;
        if (ended < 100 || this.stopped) break;
      }
    })();
    this.running = run.catch(() => undefined);
    try {
      await run;
    } catch (error) {
      this.logger.error('Expiry scan failed; the next scan tries again', (error as Error).stack);
    }
    return total;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.scan().finally(() => this.schedule());
    }, EXPIRY_SCAN_INTERVAL_MS);
    this.timer.unref();
  }
}
