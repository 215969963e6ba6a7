import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task.js';
import type { AppConfig } from '../config/app-config.js';
import { Transactions } from '../database/transactions.js';
import { WebhookRepository } from './webhook.repository.js';
import { InjectAppConfig } from '../config/app-config.module.js';

/**
 * Erases rotated-out secrets once WEBHOOK_SECRET_GRACE has passed, so the database holds a
 * webhook's old secret no longer than it signs. Runs every tenth of the grace, between once a
 * second and once a minute; several instances may run it together (the update is idempotent).
 */
@Injectable()
export class WebhookSecretExpiry implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WebhookSecretExpiry');
  private readonly task: PeriodicTask;

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly transactions: Transactions,
    @InjectAppConfig() config: AppConfig,
  ) {
    const graceMs = config.webhookSecretGraceMs;
    this.task = new PeriodicTask(
      Math.min(60_000, Math.max(1_000, Math.round(graceMs / 10))),
      () => this.erase(),
      this.logger,
      'Erasing expired previous secrets failed; the next run tries again',
    );
  }

  onApplicationBootstrap(): Promise<void> {
    return this.task.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /** Erases the previous secrets whose grace has ended by `now`; answers how many. */
  erase(now = new Date()): Promise<number> {
    return this.transactions.run((manager) => this.webhooks.erasePreviousSecrets(manager, now));
  }
}
