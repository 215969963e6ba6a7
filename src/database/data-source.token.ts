import { Inject } from '@nestjs/common';

/**
 * The service's DataSource: its own connection, or a host app's (see DatabaseModule). Under a
 * token of its own, so that it never stands for, nor is taken for, a host's default DataSource.
 */
export const DATA_SOURCE = Symbol('channel-webhooks:data-source');

/**
 * Whether some of the service's migrations are not applied yet (readiness asks): a
 * `() => Promise<boolean>`, read where the service's migrations are recorded.
 */
export const PENDING_MIGRATIONS = Symbol('channel-webhooks:pending-migrations');

/** The check under PENDING_MIGRATIONS. */
export type PendingMigrations = () => Promise<boolean>;

/** Injects the service's DataSource (`DATA_SOURCE`). */
export const InjectDataSource = (): ParameterDecorator => Inject(DATA_SOURCE);
