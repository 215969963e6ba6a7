import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { loadAppConfig } from './src/config/app-config.js';
import { dataSourceOptions } from './src/database/data-source-options.js';
import { ENTITIES } from './src/entities.js';

// The DataSource behind `npm run migration:run|migration:generate|migration:revert`.
if (existsSync('.env')) process.loadEnvFile('.env');

export default new DataSource(dataSourceOptions(loadAppConfig(process.env).database, ENTITIES));
