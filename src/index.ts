/**
 * channel-webhooks as a module of a host NestJS app: import ChannelWebhooksModule, inject its
 * services. The standalone server (main.ts) is built on the same module.
 */
import type { DataSourceOptions } from 'typeorm';
import { loadAppConfig } from './config/app-config.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { ENTITIES } from './entities.js';

export {
  ChannelWebhooksModule,
  type ChannelWebhooksAsyncOptions,
  type ChannelWebhooksOptions,
  type ChannelWebhooksSettings,
  type ChannelWebhooksShape,
} from './channel-webhooks.module.js';
export { HOST_MIGRATIONS_TABLE, type HostConnection } from './database/database.module.js';
export { MIGRATIONS as CHANNEL_WEBHOOKS_MIGRATIONS } from './database/migrations/index.js';
export { ENTITIES as CHANNEL_WEBHOOKS_ENTITIES } from './entities.js';

export {
  type CreateWebhookInput,
  type ListWebhooksInput,
  type UpdateWebhookInput,
  WebhookService,
} from './webhook/webhook.service.js';
export type {
  CreatedWebhookDto,
  WebhookDto,
  WebhookSecretDto,
} from './webhook/dto/webhook-response.dto.js';
export {
  type CreateChannelInput,
  ChannelService,
  type UpdateChannelInput,
} from './channel/channel.service.js';
export { ChannelEventsService, HOST_MEDIA_SERVER } from './channel/channel-events.service.js';
export type { ChannelDto, CreatedChannelDto } from './channel/dto/channel-response.dto.js';
export type { PublishOutcome, UnpublishOutcome } from './channel/channel-lifecycle.service.js';
export type { ServiceRole } from './config/app-config.js';

/**
 * The options a host's TypeORM connection needs to carry the service's tables
 * (`database: { host: … }`): the driver as the service sets it up (ids as strings, UTC, MySQL at
 * READ COMMITTED, SQLite in WAL with immediate transactions) and its entities. A host adds its own
 * entities and migrations to them.
 */
export function channelWebhooksDataSourceOptions(databaseUrl: string): DataSourceOptions {
  return dataSourceOptions(loadAppConfig({ DATABASE_URL: databaseUrl }).database, ENTITIES);
}
