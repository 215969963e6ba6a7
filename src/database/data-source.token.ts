import { Inject } from '@nestjs/common';

/**
 * The service's DataSource: its own connection, or a host app's (see DatabaseModule). Under a
 * token of its own, so that it never stands for, nor is taken for, a host's default DataSource.
 */
export const DATA_SOURCE = Symbol('channel-webhooks:data-source');

/** Injects the service's DataSource (`DATA_SOURCE`). */
export const InjectDataSource = (): ParameterDecorator => Inject(DATA_SOURCE);
