import { Get, Inject, Logger, Res, ServiceUnavailableException } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorFunction,
  HealthIndicatorService,
} from '@nestjs/terminus';
import {
  InjectDataSource,
  PENDING_MIGRATIONS,
  type PendingMigrations,
} from '../database/data-source.token.js';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { databaseStatus } from '../database/database-status.js';
import { PublicRoute } from '../common/auth/auth.decorators.js';
import { PROBE_SNAPSHOT_MS, Snapshot } from '../common/snapshot.js';
import type { AppConfig } from '../config/app-config.js';
import { DeliveryHealth } from '../delivery/delivery.health.js';
import { InjectAppConfig } from '../config/app-config.module.js';
import { ServiceController } from '../common/service-controller.decorator.js';

/** The readiness probe's own bound on the database's answer. */
const DATABASE_TIMEOUT_MS = 2000;

const HEALTHY = {
  status: 'ok',
  info: { database: { status: 'up' } },
  error: {},
  details: { database: { status: 'up' } },
};

/** Liveness and readiness for load balancers and orchestrators; no API key. */
@ApiTags('operations')
@PublicRoute()
@ServiceController('health')
export class HealthController {
  private readonly logger = new Logger('Health');
  private readonly maxDueAgeMs: number;
  /** Whether this process runs the delivery worker, whose state and backlog readiness includes. */
  private readonly runsWorker: boolean;
  /**
   * What the checks ask of the database, at most once a second however often the probe is
   * called (the backlog is DeliveryHealth's, counted as often); draining is read live.
   */
  private readonly database: Snapshot<void>;
  private readonly migrationsPending: Snapshot<boolean>;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(PENDING_MIGRATIONS) private readonly pendingMigrations: PendingMigrations,
    private readonly delivery: DeliveryHealth,
    @InjectAppConfig() app: AppConfig,
  ) {
    this.maxDueAgeMs = app.healthMaxDueAgeMs;
    this.runsWorker = app.role !== 'api';
    this.database = new Snapshot(PROBE_SNAPSHOT_MS, () =>
      this.reaching(async () => void (await this.dataSource.query('SELECT 1'))),
    );
    this.migrationsPending = new Snapshot(PROBE_SNAPSHOT_MS, () =>
      this.reaching(() => this.pendingMigrations()),
    );
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ example: { status: 'ok' } })
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary:
      'Readiness: database reachable, migrations applied, delivery worker running, backlog fresh',
    description:
      '503 names the failing check, without addresses or driver errors (those go to the log). ' +
      'A process of SERVICE_ROLE=api has no worker and no backlog check. ' +
      'A draining instance (after SIGTERM) is not ready at once; what is read from the database ' +
      '(reachable, migrations, backlog) is at most a second old, however often this is called.',
  })
  @ApiOkResponse({ example: HEALTHY })
  @ApiServiceUnavailableResponse({
    description: 'A check failed; `error` names it',
    example: { status: 'error', error: { worker: { status: 'down', message: 'draining' } } },
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () =>
          this.indicators
            .check('database')
            .attempt(() => this.database.get())
            .withTimeout(DATABASE_TIMEOUT_MS),
        () =>
          this.indicators.check('migrations').attempt(async () => {
            if (await this.migrationsPending.get()) throw new Error('pending migrations');
            return { applied: true };
          }),
        ...(this.runsWorker ? this.workerChecks() : []),
      ]);
    } catch (error) {
      // terminus reports a failed check as this exception, carrying the report that names it.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }

  /** The delivery worker's checks: it takes work, and its backlog is fresh. */
  private workerChecks(): HealthIndicatorFunction[] {
    return [
      () =>
        this.indicators.check('worker').attempt(async () => {
          if (!(await this.delivery.running())) throw new Error('draining');
          return { running: true };
        }),
      () =>
        this.indicators.check('backlog').attempt(async () => {
          const {
            pending,
            due,
            oldestDueAgeMs: ageMs,
          } = await this.reaching(() => this.delivery.backlog());
          if (ageMs > this.maxDueAgeMs) {
            throw new Error(
              `oldest due delivery has waited ${Math.round(ageMs / 1000)} s (bound ${this.maxDueAgeMs / 1000} s)`,
            );
          }
          return { pending, due, oldestDueAgeMs: ageMs };
        }),
    ];
  }

  /**
   * Runs a check's query; a database that cannot be reached fails the check with those words
   * alone (addresses and driver errors go to the log, once per outage), and a success tells the
   * service the database is back.
   */
  private async reaching<T>(query: () => Promise<T>): Promise<T> {
    try {
      const result = await query();
      databaseStatus.succeeded();
      return result;
    } catch (error) {
      if (databaseStatus.failed(error)) throw new Error('database unreachable', { cause: error });
      this.logger.error(`Readiness check failed: ${(error as Error).message}`);
      throw new Error('check failed; see the service log', { cause: error });
    }
  }
}
