import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { loadAppConfig } from './src/config/app-config.js';
import { ChannelEventEntity } from './src/channel-events/channel-event.entity.js';
import { ChannelEntity } from './src/channel/channel.entity.js';
import { dataSourceOptions } from './src/database/data-source-options.js';
import { DeliveryAttemptEntity, DeliveryEntity } from './src/delivery/delivery.entity.js';
import { WebhookEntity, WebhookEventEntity } from './src/webhook/webhook.entity.js';

// The DataSource behind `npm run migration:run|migration:generate|migration:revert`.
if (existsSync('.env')) process.loadEnvFile('.env');

// The app registers entities module by module; the CLI lists them here.
const ENTITIES = [
  WebhookEntity,
  WebhookEventEntity,
  ChannelEntity,
  ChannelEventEntity,
  DeliveryEntity,
  DeliveryAttemptEntity,
];

export default new DataSource(dataSourceOptions(loadAppConfig(process.env).database, ENTITIES));
